using System.Text.Json;
using Compass.Testing;

namespace Compass.Cli.Tests;

/// <summary><c>--quality</c> lists and continuous values, <c>--target-bytes</c>, <c>--target-bpp</c> and <c>--layer-bytes</c>.</summary>
public sealed class CliRateTests : IDisposable
{
    private readonly CliHarness _cli = new() { LoadModel = _ => new FakeVariableRateModel() };

    public void Dispose() => _cli.Dispose();

    private JsonElement EncodeJson(params string[] options)
    {
        string image = _cli.WriteImage("img.png", 256, 192);
        var run = _cli.Run(["encode", image, "-o", _cli.PathOf("img.cmps"), "--json", "--scales", "0.5,1", .. options]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.Clone();
    }

    [Fact]
    public void QualityPerLayer_IsCodedAndShownByInfo()
    {
        var root = EncodeJson("--quality", "1.5,2.75");
        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(1.5, layers[0].GetProperty("quality").GetDouble());
        Assert.Equal(2.75, layers[1].GetProperty("quality").GetDouble());
        Assert.Equal(2.0, layers[0].GetProperty("step").GetDouble()); // exp((ln 4 + 0) / 2)

        var info = _cli.Run("info", _cli.PathOf("img.cmps"), "--json");
        Assert.True(info.ExitCode == 0, info.ToString());
        var infoLayers = JsonDocument.Parse(info.Out).RootElement.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(2.75, infoLayers[1].GetProperty("quality").GetDouble());
        Assert.Equal(2, JsonDocument.Parse(info.Out).RootElement.GetProperty("formatVersion").GetInt32());

        var decode = _cli.Run("decode", _cli.PathOf("img.cmps"), "-o", _cli.PathOf("out"));
        Assert.True(decode.ExitCode == 0, decode.ToString());
    }

    [Fact]
    public void TargetBytes_IsMetAndReported()
    {
        long low = EncodeJson("--quality", "1").GetProperty("totalBytes").GetInt64();
        long high = EncodeJson("--quality", "3").GetProperty("totalBytes").GetInt64();
        long target = (low + high) / 2;
        var root = EncodeJson("--target-bytes", target.ToString(System.Globalization.CultureInfo.InvariantCulture));
        long total = root.GetProperty("totalBytes").GetInt64();
        Assert.InRange(total, (long)Math.Ceiling(0.97 * target), target);
        Assert.Equal(target, root.GetProperty("targetBytes").GetInt64());
        Assert.Equal(new FileInfo(_cli.PathOf("img.cmps")).Length, total);

        string image = _cli.WriteImage("img.png", 256, 192);
        var table = _cli.Run("encode", image, "-o", _cli.PathOf("t.cmps"), "--scales", "0.5,1", "--target-bpp", "0.1");
        Assert.True(table.ExitCode == 0 || table.ExitCode == ExitCodes.Failed, table.ToString());
        if (table.ExitCode == 0) Assert.Contains("of the target", table.Out);
        else Assert.Contains("smallest achievable size", table.Error);
    }

    [Fact]
    public void LayerBytes_AreMetPerLayer()
    {
        var high = EncodeJson("--quality", "3").GetProperty("layers").EnumerateArray().ToList();
        long b0 = high[0].GetProperty("accumulatedBytes").GetInt64() * 3 / 4, b1 = high[1].GetProperty("accumulatedBytes").GetInt64() * 3 / 4;
        var layers = EncodeJson("--layer-bytes", $"{b0},{b1}").GetProperty("layers").EnumerateArray().ToList();
        Assert.True(layers[0].GetProperty("accumulatedBytes").GetInt64() <= b0);
        Assert.True(layers[1].GetProperty("accumulatedBytes").GetInt64() <= b1);
    }

    [Theory]
    [InlineData("--quality", "2,x", ExitCodes.InvalidArguments, "not a quality")]
    [InlineData("--quality", "0", ExitCodes.InvalidArguments, "not a quality")]
    [InlineData("--quality", "1,2,3", ExitCodes.Failed, "one per layer")]
    [InlineData("--quality", "3.5", ExitCodes.Failed, "1 to 3 (any multiple of 1/256)")]
    [InlineData("--target-bytes", "0", ExitCodes.InvalidArguments, "--target-bytes must be at least 1")]
    [InlineData("--target-bytes", "10", ExitCodes.Failed, "smallest achievable size")]
    [InlineData("--target-bpp", "-1", ExitCodes.InvalidArguments, "--target-bpp must be a positive number")]
    [InlineData("--layer-bytes", "100,-5", ExitCodes.InvalidArguments, "--layer-bytes")]
    [InlineData("--layer-bytes", "100", ExitCodes.Failed, "one per layer")]
    public void BadRateOptions_FailWithOneClearMessage(string option, string value, int exitCode, string expected)
    {
        string image = _cli.WriteImage("img.png", 256, 192);
        var run = _cli.Run("encode", image, "-o", _cli.PathOf("x.cmps"), "--scales", "0.5,1", option, value);
        Assert.Equal(exitCode, run.ExitCode);
        Assert.Contains(expected, run.Error);
        Assert.False(File.Exists(_cli.PathOf("x.cmps")));
    }

    [Fact]
    public void QualityAndATargetTogether_AreRefused()
    {
        string image = _cli.WriteImage("img.png", 256, 192);
        var run = _cli.Run("encode", image, "-o", _cli.PathOf("x.cmps"), "--quality", "2", "--target-bytes", "5000");
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("not several", run.Error);
    }
}
