namespace Compass.Cli.Tests;

/// <summary>A truncated stream decodes its complete layers, warns once and exits with <see cref="ExitCodes.Truncated"/>.</summary>
public sealed class CliTruncationTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly string _stream;

    public CliTruncationTests()
    {
        string image = _cli.WriteImage("img.png", 131, 97);
        _stream = _cli.PathOf("img.cmps");
        var encode = _cli.Run("encode", image, "-o", _stream);
        Assert.True(encode.ExitCode == 0, encode.ToString());
    }

    public void Dispose() => _cli.Dispose();

    private string Cut(long length)
    {
        string path = _cli.PathOf($"cut{length}.cmps");
        File.WriteAllBytes(path, File.ReadAllBytes(_stream).AsSpan(0, checked((int)length)).ToArray());
        return path;
    }

    [Fact]
    public void DecodeWritesTheCompleteLayersAndWarns()
    {
        string cut = Cut(CliRoundTripTests.LayerOffset(_stream, 2) + 20); // inside layer 2's chunk
        string folder = _cli.PathOf("out");
        var run = _cli.Run("decode", cut, "-o", folder);

        Assert.True(run.ExitCode == ExitCodes.Truncated, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("compass: warning: ", line);
        Assert.Contains("2 complete layer(s) of 3", line);
        Assert.True(File.Exists(Path.Combine(folder, "layer0.png")));
        Assert.True(File.Exists(Path.Combine(folder, "layer1.png")));
        Assert.False(File.Exists(Path.Combine(folder, "layer2.png")));
    }

    [Fact]
    public void DecodeJsonSaysTruncated()
    {
        string cut = Cut(CliRoundTripTests.LayerOffset(_stream, 2) + 20);
        var run = _cli.Run("decode", cut, "-o", _cli.PathOf("out"), "--json");
        Assert.Equal(ExitCodes.Truncated, run.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(run.Out);
        Assert.True(doc.RootElement.GetProperty("truncated").GetBoolean());
        Assert.Equal(2, doc.RootElement.GetProperty("layers").GetArrayLength());
    }

    [Fact]
    public void DecodingOnlyTheIntactLayersIsNotTruncation()
    {
        string cut = Cut(CliRoundTripTests.LayerOffset(_stream, 2) + 20);
        var run = _cli.Run("decode", cut, "-o", _cli.PathOf("out"), "--layers", "2");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(run.Error);
    }

    [Fact]
    public void InfoDescribesTheCompleteLayersAndWarns()
    {
        string cut = Cut(CliRoundTripTests.LayerOffset(_stream, 2)); // exactly at a chunk boundary
        var run = _cli.Run("info", cut);
        Assert.True(run.ExitCode == ExitCodes.Truncated, run.ToString());
        Assert.StartsWith("compass: warning: ", Assert.Single(run.ErrorLines));
        Assert.Contains("2 of 3 layers present", run.Out);
    }

    [Fact]
    public void NoCompleteLayerIsAnError()
    {
        string cut = Cut(CliRoundTripTests.LayerOffset(_stream, 0) + 5);
        var run = _cli.Run("decode", cut, "-o", _cli.PathOf("out"));
        Assert.True(run.ExitCode == ExitCodes.Failed, run.ToString());
        Assert.StartsWith("compass: error: ", Assert.Single(run.ErrorLines));
    }
}
