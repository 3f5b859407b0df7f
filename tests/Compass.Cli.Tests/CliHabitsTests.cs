using System.Text.Json;
using Compass.ImageSharp;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Cli.Tests;

/// <summary>What a cwebp, cjxl or ImageMagick user expects of a command-line image tool.</summary>
public sealed class CliHabitsTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Encoded(string name = "img")
    {
        string image = _cli.WriteImage(name + ".png", 70, 50);
        string stream = _cli.PathOf(name + ".cmps");
        var run = _cli.Run("encode", image, "-o", stream);
        Assert.True(run.ExitCode == 0, run.ToString());
        return stream;
    }

    [Fact]
    public void SeveralInputsEncodeIntoAFolderWithOneLineEachAndASummary()
    {
        string a = _cli.WriteImage("a.png", 70, 50);
        string b = _cli.WriteImage("b.png", 64, 64);
        string folder = _cli.PathOf("streams/new"); // created
        var run = _cli.Run("encode", a, b, "-o", folder);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "a.cmps")));
        Assert.True(File.Exists(Path.Combine(folder, "b.cmps")));
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains(lines, l => l.StartsWith(a + " -> " + Path.Combine(folder, "a.cmps") + ": 70x50", StringComparison.Ordinal));
        Assert.StartsWith("encoded 2 of 2 images", lines[^1]);

        // The streams are those of single encodes.
        var single = _cli.Run("encode", a, "-o", _cli.PathOf("single.cmps"));
        Assert.Equal(0, single.ExitCode);
        Assert.Equal(File.ReadAllBytes(_cli.PathOf("single.cmps")), File.ReadAllBytes(Path.Combine(folder, "a.cmps")));
    }

    [Fact]
    public void APatternWithAFailingFileEncodesTheOthersAndExitsNonZero()
    {
        _cli.WriteImage("p1.png", 40, 40);
        _cli.WriteImage("p2.png", 48, 40);
        File.WriteAllText(_cli.PathOf("p3.png"), "not an image");
        string folder = _cli.PathOf("out");
        var run = _cli.Run("encode", Path.Combine(_cli.Folder, "p*.png"), "-o", folder, "--json");
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("succeeded").GetInt32());
        Assert.Equal(1, root.GetProperty("failed").GetInt32());
        var error = Assert.Single(root.GetProperty("errors").EnumerateArray());
        Assert.EndsWith("p3.png", error.GetProperty("input").GetString());
        Assert.Contains("not an image", error.GetProperty("message").GetString());
        Assert.True(File.Exists(Path.Combine(folder, "p1.cmps")));
        Assert.True(File.Exists(Path.Combine(folder, "p2.cmps")));
        Assert.False(File.Exists(Path.Combine(folder, "p3.cmps")));
        Assert.StartsWith("compass: error: 1 of 3 images failed", Assert.Single(run.ErrorLines));

        var none = _cli.Run("encode", Path.Combine(_cli.Folder, "q*.png"), "-o", folder);
        Assert.Equal(ExitCodes.Failed, none.ExitCode);
        Assert.Contains("no file matches", none.Error);
    }

    [Fact]
    public void DashIsStandardInputAndOutput()
    {
        string image = _cli.WriteImage("in.png", 70, 50);
        _cli.StandardInput = File.ReadAllBytes(image);
        var encode = _cli.Run("encode", "-", "-o", "-");
        Assert.True(encode.ExitCode == 0, encode.ToString());
        Assert.Empty(encode.Out); // the stream owns stdout; the table went to stderr
        Assert.Contains("70x50", encode.Error);
        byte[] stream = _cli.StandardOutput;
        Assert.False(File.Exists(_cli.PathOf("-")));
        Assert.Equal(0, _cli.Run("encode", image, "-o", _cli.PathOf("file.cmps")).ExitCode);
        Assert.Equal(File.ReadAllBytes(_cli.PathOf("file.cmps")), stream);

        _cli.StandardInput = stream;
        var decode = _cli.Run("decode", "-", "-o", "-", "--layer", "0"); // the plan of 70x50 is 35x25,70x50
        Assert.True(decode.ExitCode == 0, decode.ToString());
        using var png = Image.Load<Rgb24>(_cli.StandardOutput);
        Assert.Equal((35, 25), (png.Width, png.Height));
    }

    [Theory]
    [InlineData("one.png")]
    [InlineData("one.jpg")]
    [InlineData("one.webp")]
    public void DecodeToAnImageNameWritesThatLayerInThatFormat(string name)
    {
        string stream = Encoded();
        string target = _cli.PathOf(Path.Combine("sub", name));
        var run = _cli.Run("decode", stream, "-o", target, "--layer", "0"); // the plan of 70x50 is 35x25,70x50
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(File.Exists(target));
        Assert.False(Directory.Exists(target));
        var format = Image.DetectFormat(File.ReadAllBytes(target));
        Assert.Equal(Path.GetExtension(name) switch { ".jpg" => "JPEG", ".webp" => "Webp", _ => "PNG" }, format.Name);
        using var image = Image.Load<Rgb24>(target);
        Assert.Equal((35, 25), (image.Width, image.Height));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(target)!));

        // Without --layer: the last layer.
        Assert.Equal(0, _cli.Run("decode", stream, "-o", target).ExitCode);
        using var last = Image.Load<Rgb24>(target);
        Assert.Equal((70, 50), (last.Width, last.Height));

        if (name == "one.png")
        {
            // Lossless output: exactly the library's pixels of that layer.
            using var expected = new ScalableDecoder(CliHarness.Model(1)).Decode(File.ReadAllBytes(stream));
            Assert.Equal(0, Imaging.ImageMetrics.Mse(expected.Layers[1].Pixels, last.ToPixelBuffer()));
        }
        var bad = _cli.Run("decode", stream, "-o", target, "--layer", "2");
        Assert.Equal(ExitCodes.Failed, bad.ExitCode);
        Assert.Contains("has 2 layers (0 to 1)", bad.Error);
    }

    [Fact]
    public void AFolderGetsOnlyTheLayersDecodedNow()
    {
        string stream = Encoded();
        string folder = _cli.PathOf("layers");
        Assert.Equal(0, _cli.Run("decode", stream, "-o", folder).ExitCode);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(folder, "layer2.webp"), "old");
        var run = _cli.Run("decode", stream, "-o", folder, "--layers", "1");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["layer0.png", "notes.txt"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void EncodeCreatesMissingFoldersAndAFolderInputIsAClearError()
    {
        string image = _cli.WriteImage("in.png", 40, 40);
        string deep = _cli.PathOf("a/b/c/x.cmps");
        var run = _cli.Run("encode", image, "-o", deep);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(File.Exists(deep));

        var folder = _cli.Run("encode", _cli.PathOf("a"), "-o", _cli.PathOf("y.cmps"));
        Assert.Equal(ExitCodes.Failed, folder.ExitCode);
        Assert.Contains("is a folder, not an image", folder.Error);
        Assert.DoesNotContain("denied", folder.Error);
        var decode = _cli.Run("decode", _cli.PathOf("a"), "-o", _cli.PathOf("out"));
        Assert.Contains("is a folder, not a stream", decode.Error);
    }

    [Theory]
    [InlineData(new[] { "encod" }, "unknown command 'encod'; did you mean 'encode'?")]
    [InlineData(new[] { "decdoe", "x.cmps" }, "did you mean 'decode'?")]
    [InlineData(new[] { "encode", "a.png", "-o", "a.cmps", "--qualty", "2" }, "unknown option '--qualty'; did you mean '--quality'?")]
    [InlineData(new[] { "decode", "a.cmps", "-o", "x", "--layres", "2" }, "did you mean '--layers'?")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    public void MistypedCommandsAndOptionsGetASuggestion(string[] args, string expected)
    {
        var run = _cli.Run(args);
        Assert.Equal(ExitCodes.InvalidArguments, run.ExitCode);
        Assert.Contains(expected, Assert.Single(run.ErrorLines));
        if (!expected.Contains("did you mean", StringComparison.Ordinal)) Assert.DoesNotContain("did you mean", run.Error);
    }

    [Fact]
    public void JsonErrorsAreJsonOnStdoutToo()
    {
        var missing = _cli.Run("encode", _cli.PathOf("missing.png"), "-o", _cli.PathOf("x.cmps"), "--json");
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        using (var doc = JsonDocument.Parse(missing.Out))
        {
            Assert.Equal("encode", doc.RootElement.GetProperty("command").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("exitCode").GetInt32());
            Assert.Contains("missing.png", doc.RootElement.GetProperty("error").GetString());
        }
        Assert.StartsWith("compass: error: ", Assert.Single(missing.ErrorLines));

        var usage = _cli.Run("info", "--json", "--bogus");
        Assert.Equal(ExitCodes.InvalidArguments, usage.ExitCode);
        using (var doc = JsonDocument.Parse(usage.Out))
            Assert.Equal(2, doc.RootElement.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public void ColumnsHaveOneMeaningAndTheModelDescriptionWaitsForVerbose()
    {
        string image = _cli.WriteImage("t.png", 70, 50);
        var encode = _cli.Run("encode", image, "-o", _cli.PathOf("t.cmps"));
        string header = encode.Out.Split('\n')[1];
        Assert.Matches(@"bytes\s+total bytes\s+bpp\s+total bpp", header);
        Assert.DoesNotContain(CliHarness.Model(1).Description, encode.Out);
        Assert.Contains(CliHarness.Model(1).Networks(2).ModelId.ToString(), encode.Out.Split('\n')[0]);
        var verbose = _cli.Run("encode", image, "-o", _cli.PathOf("t.cmps"), "--verbose");
        Assert.Contains(CliHarness.Model(1).Description, verbose.Out);

        var decode = _cli.Run("decode", _cli.PathOf("t.cmps"), "-o", _cli.PathOf("out"));
        Assert.Matches(@"bytes\s+total bytes\s+bpp\s+total bpp", decode.Out.Split('\n')[1]);
        // info's bpp is the per-layer bpp of encode and decode, for the same stream.
        var info = _cli.Run("info", _cli.PathOf("t.cmps"), "--json");
        var enc = _cli.Run("encode", image, "-o", _cli.PathOf("t.cmps"), "--json");
        using var i = JsonDocument.Parse(info.Out);
        using var e = JsonDocument.Parse(enc.Out);
        var infoBpp = i.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("bpp").GetDouble()).ToList();
        var encBpp = e.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("bpp").GetDouble()).ToList();
        // Layer 0 differs by the header, which encode counts in layer 0 and info lists apart.
        Assert.Equal(infoBpp.Skip(1), encBpp.Skip(1));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(12, 30)]
    public void TinyImagesAreCodedAsOneLayer(int width, int height)
    {
        using (var tiny = new Image<Rgb24>(width, height, new Rgb24(90, 140, 200))) tiny.SaveAsPng(_cli.PathOf("tiny.png"));
        var encode = _cli.Run("encode", _cli.PathOf("tiny.png"), "-o", _cli.PathOf("t.cmps"));
        Assert.True(encode.ExitCode == 0, encode.ToString());
        var info = _cli.Run("info", _cli.PathOf("t.cmps"));
        Assert.Contains($"plan     {width}x{height} (1 of 1 layers present)", info.Out);
        var decode = _cli.Run("decode", _cli.PathOf("t.cmps"), "-o", _cli.PathOf("t.png"));
        Assert.True(decode.ExitCode == 0, decode.ToString());
        using var back = Image.Load<Rgb24>(_cli.PathOf("t.png"));
        Assert.Equal((width, height), (back.Width, back.Height));
    }

    [Fact]
    public void APlanOfSeveralLayersUnder16PxNamesTheMinimum()
    {
        using (var small = new Image<Rgb24>(20, 20)) small.SaveAsPng(_cli.PathOf("small.png"));
        var run = _cli.Run("encode", _cli.PathOf("small.png"), "-o", _cli.PathOf("s.cmps"), "--scales", "0.5,1");
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("10x10; each side must be at least 16 px in a plan of several layers", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public void TheProgressLineRedrawsInPlaceAndErasesItself()
    {
        using var error = new StringWriter();
        var line = new ProgressLine(error);
        line.Report(new TileProgress(1, 3, TileStage.Synthesis, 9, 12));
        line.Report(new TileProgress(1, 3, TileStage.Synthesis, 10, 12));
        line.Dispose();
        string text = error.ToString();
        Assert.Equal("\rlayer 2/3: synthesis 9/12 tiles\rlayer 2/3: synthesis 10/12 tiles\r" + new string(' ', 32) + "\r", text);
        Assert.DoesNotContain('\n', text);

        // Not a terminal (as in scripts and these tests), or --json: no line at all.
        Assert.Null(ProgressLine.For(new CliContext { Out = error, Error = error, LoadModel = _ => throw new InvalidOperationException() }, json: false));
        Assert.Null(ProgressLine.For(new CliContext { Out = error, Error = error, LoadModel = _ => throw new InvalidOperationException(), ErrorIsTerminal = true }, json: true));
    }
}
