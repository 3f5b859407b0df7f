using System.Text.Json;
using Compass.Bitstream;
using Compass.ImageSharp;
using Compass.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Cli.Tests;

public sealed class CliRoundTripTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void EncodeInfoDecodeRoundTripOfAnOddSizedImage()
    {
        string image = _cli.WriteImage("odd.png", 131, 97);
        string stream = _cli.PathOf("odd.cmps");
        string folder = _cli.PathOf("layers");

        var encode = _cli.Run("encode", image, "-o", stream);
        Assert.True(encode.ExitCode == 0, encode.ToString());
        Assert.Empty(encode.Error);
        Assert.True(File.Exists(stream));
        Assert.False(File.Exists(stream + ".part"));
        // The default plan 0.25, 0.5, 1 of 131x97, floored.
        Assert.Contains("32x24", encode.Out);
        Assert.Contains("65x48", encode.Out);
        Assert.Contains("131x97", encode.Out);

        var info = _cli.Run("info", stream);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("32x24,65x48,131x97", info.Out);
        Assert.Contains("valid", info.Out);
        Assert.Contains(CliHarness.Model(1).Networks(2).ModelId.ToString(), info.Out); // default quality of the fake set is 2

        var decode = _cli.Run("decode", stream, "-o", folder);
        Assert.True(decode.ExitCode == 0, decode.ToString());
        Assert.Empty(decode.Error);

        // The files are exactly what the library decodes from the same bytes.
        using var expected = new ScalableDecoder(CliHarness.Model(1)).Decode(File.ReadAllBytes(stream));
        Assert.Equal(3, expected.Layers.Count);
        foreach (var layer in expected.Layers)
        {
            using var written = Image.Load<Rgb24>(Path.Combine(folder, $"layer{layer.Index}.png"));
            Assert.Equal(layer.Size, new LayerSize(written.Width, written.Height));
            Assert.Equal(0, Imaging.ImageMetrics.Mse(layer.Pixels, written.ToPixelBuffer()));
        }
        Assert.False(File.Exists(Path.Combine(folder, "layer3.png")));
        Assert.Equal(2, _cli.Requests.Count); // encode and decode load a model, info does not
    }

    [Fact]
    public void JsonOutputsParseAndCarryTheDocumentedFields()
    {
        string image = _cli.WriteImage("odd.png", 131, 97);
        string stream = _cli.PathOf("odd.cmps");
        string folder = _cli.PathOf("out");

        var encode = _cli.Run("encode", image, "-o", stream, "--json", "--quality", "1");
        Assert.True(encode.ExitCode == 0, encode.ToString());
        using (var doc = JsonDocument.Parse(encode.Out))
        {
            var root = doc.RootElement;
            Assert.Equal("encode", root.GetProperty("command").GetString());
            Assert.Equal(131, root.GetProperty("width").GetInt32());
            Assert.Equal(97, root.GetProperty("height").GetInt32());
            Assert.Equal(1, root.GetProperty("quality").GetInt32());
            Assert.Equal("32x24,65x48,131x97", root.GetProperty("plan").GetString());
            Assert.Equal(CliHarness.Model(1).Networks(1).ModelId.ToString(), root.GetProperty("modelId").GetString());
            long total = root.GetProperty("totalBytes").GetInt64();
            Assert.Equal(new FileInfo(stream).Length, total);
            var layers = root.GetProperty("layers").EnumerateArray().ToList();
            Assert.Equal(3, layers.Count);
            Assert.Equal(total, layers[^1].GetProperty("accumulatedBytes").GetInt64());
            Assert.Equal(total, layers.Sum(l => l.GetProperty("bytes").GetInt64())); // layer 0 carries the header
            foreach (var layer in layers)
            {
                Assert.True(layer.GetProperty("bytes").GetInt64() > 0);
                // bpp: what the layer adds; totalBpp: the stream up to it (one meaning per name, in every command).
                double pixels = layer.GetProperty("width").GetInt32() * layer.GetProperty("height").GetInt32();
                Assert.Equal(layer.GetProperty("bytes").GetInt64() * 8.0 / pixels, layer.GetProperty("bpp").GetDouble(), 9);
                Assert.Equal(layer.GetProperty("accumulatedBytes").GetInt64() * 8.0 / pixels, layer.GetProperty("totalBpp").GetDouble(), 9);
                Assert.True(layer.GetProperty("milliseconds").GetDouble() >= 0);
            }
        }

        var info = _cli.Run("info", stream, "--json");
        Assert.True(info.ExitCode == 0, info.ToString());
        using (var doc = JsonDocument.Parse(info.Out))
        {
            var root = doc.RootElement;
            Assert.Equal("info", root.GetProperty("command").GetString());
            Assert.True(root.GetProperty("valid").GetBoolean());
            Assert.False(root.GetProperty("truncated").GetBoolean());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("error").ValueKind);
            Assert.Equal(1, root.GetProperty("quality").GetInt32());
            Assert.True(root.GetProperty("headerCrcValid").GetBoolean());
            var layers = root.GetProperty("layers").EnumerateArray().ToList();
            Assert.Equal(3, layers.Count);
            Assert.All(layers, l => Assert.True(l.GetProperty("crcValid").GetBoolean()));
            Assert.Equal(new FileInfo(stream).Length,
                root.GetProperty("headerBytes").GetInt64() + layers.Sum(l => l.GetProperty("bytes").GetInt64()));
        }

        var decode = _cli.Run("decode", stream, "-o", folder, "--json");
        Assert.True(decode.ExitCode == 0, decode.ToString());
        using (var doc = JsonDocument.Parse(decode.Out))
        {
            var root = doc.RootElement;
            Assert.Equal("decode", root.GetProperty("command").GetString());
            Assert.False(root.GetProperty("truncated").GetBoolean());
            Assert.Equal(3, root.GetProperty("layersInStream").GetInt32());
            var layers = root.GetProperty("layers").EnumerateArray().ToList();
            Assert.Equal(3, layers.Count);
            Assert.All(layers, l => Assert.True(File.Exists(l.GetProperty("file").GetString())));
            Assert.Equal(new FileInfo(stream).Length, layers[^1].GetProperty("accumulatedBytes").GetInt64());
        }
    }

    [Fact]
    public void ScalesOneMakesASingleLayerStream()
    {
        string image = _cli.WriteImage("one.png", 131, 97);
        string stream = _cli.PathOf("one.cmps");
        var encode = _cli.Run("encode", image, "-o", stream, "--scales", "1");
        Assert.True(encode.ExitCode == 0, encode.ToString());

        var info = _cli.Run("info", stream, "--json");
        using var doc = JsonDocument.Parse(info.Out);
        Assert.Equal("131x97", doc.RootElement.GetProperty("plan").GetString());

        var decode = _cli.Run("decode", stream, "-o", _cli.PathOf("out"));
        Assert.True(decode.ExitCode == 0, decode.ToString());
        Assert.True(File.Exists(_cli.PathOf("out/layer0.png")));
        Assert.False(File.Exists(_cli.PathOf("out/layer1.png")));
    }

    [Fact]
    public void SizesAndLayerCountAreHonoured()
    {
        string image = _cli.WriteImage("img.png", 131, 97);
        string stream = _cli.PathOf("img.cmps");
        var encode = _cli.Run("encode", image, "-o", stream, "--sizes", "40x30,100x75");
        Assert.True(encode.ExitCode == 0, encode.ToString());

        var decode = _cli.Run("decode", stream, "-o", _cli.PathOf("out"), "--layers", "1");
        Assert.True(decode.ExitCode == 0, decode.ToString());
        using var base0 = Image.Load<Rgb24>(_cli.PathOf("out/layer0.png"));
        Assert.Equal((40, 30), (base0.Width, base0.Height));
        Assert.False(File.Exists(_cli.PathOf("out/layer1.png")));
    }

    [Fact]
    public void DefaultPlanDropsLayersBelowTheMinimumSide()
    {
        string image = _cli.WriteImage("small.png", 40, 36);
        string stream = _cli.PathOf("small.cmps");
        var encode = _cli.Run("encode", image, "-o", stream, "--json");
        Assert.True(encode.ExitCode == 0, encode.ToString());
        using var doc = JsonDocument.Parse(encode.Out);
        Assert.Equal("20x18,40x36", doc.RootElement.GetProperty("plan").GetString());
    }

    [Fact]
    public void ModelOptionsReachTheModelSeam()
    {
        string image = _cli.WriteImage("img.png", 64, 64);
        var run = _cli.Run("encode", image, "-o", _cli.PathOf("x.cmps"), "--model", "bundle.zip", "--provider", "cpu", "--threads", "3");
        Assert.True(run.ExitCode == 0, run.ToString());
        var request = Assert.Single(_cli.Requests);
        Assert.Equal("bundle.zip", request.Path);
        Assert.Equal(Onnx.ExecutionProvider.Cpu, request.Provider);
        Assert.Equal(3, request.Threads);

        _cli.Run("info", _cli.PathOf("x.cmps"));
        Assert.Single(_cli.Requests); // info reads the stream only

        _cli.Run("decode", _cli.PathOf("x.cmps"), "-o", _cli.PathOf("out"));
        Assert.Null(_cli.Requests[^1].Path); // the default model
        Assert.Equal(Onnx.ExecutionProvider.Auto, _cli.Requests[^1].Provider);
    }

    [Fact]
    public void CancellationLeavesNoPartialStream()
    {
        string image = _cli.WriteImage("img.png", 131, 97);
        string stream = _cli.PathOf("img.cmps");
        using var cancel = new CancellationTokenSource();
        // Ctrl+C arrives while the networks load: the encode starts, stops at its first check and cleans up.
        _cli.LoadModel = _ =>
        {
            cancel.Cancel();
            return CliHarness.Model();
        };
        var run = _cli.Run(cancel.Token, "encode", image, "-o", stream);
        Assert.Equal(ExitCodes.Cancelled, run.ExitCode);
        Assert.Equal("compass: cancelled", Assert.Single(run.ErrorLines));
        Assert.False(File.Exists(stream));
        Assert.False(File.Exists(stream + ".part"));
        Assert.Single(_cli.Requests);
    }

    [Fact]
    public void HelpListsTheCommandsAndExitCodes()
    {
        var run = _cli.Run("--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("encode", run.Out);
        Assert.Contains("decode", run.Out);
        Assert.Contains("info", run.Out);
        Assert.Contains("3 truncated stream", run.Out);
    }

    [Fact]
    public void EncodeHelpNamesTheEmbeddedModelsQualityRange()
    {
        // The help states the range as text; this keeps it true when the embedded model changes.
        using var model = Compass.Onnx.OnnxCompassModel.LoadDefault();
        string range = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the embedded model: {model.MinQuality.Value:0.###} to {model.MaxQuality.Value:0.###}");
        var run = _cli.Run("encode", "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(range, System.Text.RegularExpressions.Regex.Replace(run.Out, @"\s+", " "), StringComparison.Ordinal);
    }

    internal static long LayerOffset(string stream, int layer)
    {
        using var file = File.OpenRead(stream);
        return BitstreamInspector.Inspect(file).Layers[layer].Offset;
    }
}
