namespace Compass.Cli.Tests;

/// <summary>Every bad input gives a non-zero exit code and exactly one <c>compass: error:</c> line, no stack trace.</summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly string _image;
    private readonly string _stream;

    public CliErrorTests()
    {
        _image = _cli.WriteImage("img.png", 131, 97);
        _stream = _cli.PathOf("img.cmps");
        var encode = _cli.Run("encode", _image, "-o", _stream);
        Assert.True(encode.ExitCode == 0, encode.ToString());
        File.WriteAllText(_cli.PathOf("text.png"), "this is not an image");
        File.WriteAllBytes(_cli.PathOf("empty.png"), []);
    }

    public void Dispose() => _cli.Dispose();

    private static void AssertOneError(CliRun run, int exitCode, string? contains = null)
    {
        Assert.True(run.ExitCode == exitCode, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("compass: error: ", line);
        Assert.DoesNotContain("   at ", run.Error);
        if (contains is not null) Assert.Contains(contains, line, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("missing file", "missing.png")]
    [InlineData("not an image", "text.png")]
    [InlineData("not an image", "empty.png")]
    public void UnreadableImages(string contains, string name) =>
        AssertOneError(_cli.Run("encode", _cli.PathOf(name), "-o", _cli.PathOf("x.cmps")), ExitCodes.Failed, contains == "missing file" ? "could not find" : contains);

    [Theory]
    [InlineData("--scales", "0.5,abc", "abc")]
    [InlineData("--scales", "0.5,1.5", "1.5")]
    [InlineData("--scales", "1,0.5", "layer 1")]
    [InlineData("--scales", "0.01,1", "layer 0")]
    [InlineData("--sizes", "banana", "banana")]
    [InlineData("--sizes", "8x8,64x48", "16 px")]
    [InlineData("--sizes", "100x75,200x150", "larger than the 131x97 image")]
    public void BadPlans(string option, string value, string contains) =>
        AssertOneError(_cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), option, value), ExitCodes.Failed, contains);

    [Fact]
    public void ImagesAboveTheUsersPixelLimitAreRefusedBeforeDecoding()
    {
        AssertOneError(_cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), "--max-pixels", "12000"), ExitCodes.Failed, "131x97 exceeds the limit of 12000 pixels");
        Assert.False(File.Exists(_cli.PathOf("x.cmps")));
        Assert.Equal(0, _cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), "--max-pixels", "12707").ExitCode); // 131 x 97 exactly
    }

    [Fact]
    public void WorkOverTheUsersMemoryLimitIsRefusedBeforeItStarts()
    {
        // Every estimate includes the process baseline (hundreds of MB), so 100 MB is below any encode or decode.
        AssertOneError(_cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), "--max-memory", "100MB"), ExitCodes.Failed, "more than the limit of 100 MB (EncodeOptions.MaxMemoryBytes)");
        Assert.False(File.Exists(_cli.PathOf("x.cmps")));
        var decode = _cli.Run("decode", _stream, "-o", _cli.PathOf("out"), "--max-memory", "0.1GB");
        Assert.NotEqual(0, decode.ExitCode);
        Assert.Contains("(DecodeOptions.MaxMemoryBytes)", decode.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_cli.PathOf("out"), "layer0.png")));
        Assert.Equal(0, _cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), "--max-memory", "64GB").ExitCode);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-1GB")]
    [InlineData("0")]
    public void BadMemoryLimits(string value) =>
        AssertOneError(_cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), "--max-memory", value), ExitCodes.InvalidArguments, "--max-memory");

    [Fact]
    public void ScalesAndSizesTogether() =>
        AssertOneError(_cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), "--scales", "1", "--sizes", "131x97"), ExitCodes.Failed, "not both");

    [Fact]
    public void QualityTheModelDoesNotProvide()
    {
        AssertOneError(_cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), "--quality", "3"), ExitCodes.Failed, "quality 3");
        Assert.False(File.Exists(_cli.PathOf("x.cmps")));
        Assert.False(File.Exists(_cli.PathOf("x.cmps.part")));
    }

    [Theory]
    [InlineData("encode", "--quality", "0")]
    [InlineData("encode", "--quality", "high")]
    [InlineData("encode", "--provider", "tpu")]
    [InlineData("encode", "--threads", "-1")]
    [InlineData("encode", "--bogus", "1")]
    [InlineData("decode", "--layers", "0")]
    public void InvalidCommandLines(string command, string option, string value)
    {
        string input = command == "encode" ? _image : _stream;
        AssertOneError(_cli.Run(command, input, "-o", _cli.PathOf("out"), option, value), ExitCodes.InvalidArguments, $"compass {command} --help");
    }

    [Fact]
    public void MissingOutputAndMissingCommand()
    {
        AssertOneError(_cli.Run("encode", _image), ExitCodes.InvalidArguments, "--output");
        AssertOneError(_cli.Run(), ExitCodes.InvalidArguments);
        AssertOneError(_cli.Run("transcode", _image), ExitCodes.InvalidArguments);
    }

    [Fact]
    public void MissingStreams()
    {
        AssertOneError(_cli.Run("decode", _cli.PathOf("missing.cmps"), "-o", _cli.PathOf("out")), ExitCodes.Failed, "could not find");
        AssertOneError(_cli.Run("info", _cli.PathOf("missing.cmps")), ExitCodes.Failed, "could not find");
    }

    [Fact]
    public void NotAStream()
    {
        AssertOneError(_cli.Run("decode", _image, "-o", _cli.PathOf("out")), ExitCodes.Failed, "img.png");
        AssertOneError(_cli.Run("info", _image), ExitCodes.Failed, "img.png");
        AssertOneError(_cli.Run("info", _cli.PathOf("empty.png")), ExitCodes.Failed);
    }

    [Fact]
    public void UnwritableOutputs()
    {
        // Missing folders are created, but not through a file.
        AssertOneError(_cli.Run("encode", _image, "-o", Path.Combine(_image, "x.cmps")), ExitCodes.Failed);
        // A file that is not an image name is neither a folder for the layers nor one image.
        AssertOneError(_cli.Run("decode", _stream, "-o", _stream), ExitCodes.Failed, "is a file");
    }

    [Fact]
    public void CorruptStream()
    {
        byte[] bytes = File.ReadAllBytes(_stream);
        long payload = CliRoundTripTests.LayerOffset(_stream, 1) + BitstreamFormatChunkHead + 3;
        bytes[payload] ^= 0x5A;
        string corrupt = _cli.PathOf("corrupt.cmps");
        File.WriteAllBytes(corrupt, bytes);

        AssertOneError(_cli.Run("decode", corrupt, "-o", _cli.PathOf("out")), ExitCodes.Failed, "corrupt.cmps");
        var info = _cli.Run("info", corrupt);
        AssertOneError(info, ExitCodes.Failed, "corrupt.cmps");
        Assert.Contains("MISMATCH", info.Out); // the table still shows which chunk is bad
    }

    /// <summary>The stream with one payload byte of layer 2 (the last) flipped: layers 0 and 1 decode, layer 2 fails its CRC.</summary>
    private string CorruptLastLayer()
    {
        byte[] bytes = File.ReadAllBytes(_stream);
        bytes[CliRoundTripTests.LayerOffset(_stream, 2) + BitstreamFormatChunkHead + 3] ^= 0x5A;
        string corrupt = _cli.PathOf("corrupt2.cmps");
        File.WriteAllBytes(corrupt, bytes);
        return corrupt;
    }

    [Fact]
    public void ALaterLayerFailingStillReportsTheLayersWritten()
    {
        string folder = _cli.PathOf("out");
        var run = _cli.Run("decode", CorruptLastLayer(), "-o", folder);

        AssertOneError(run, ExitCodes.Failed, "Layer 2: chunk CRC mismatch");
        Assert.Contains("wrote 2 of 3 layers before the error (layer0.png, layer1.png in ", run.Error);
        Assert.Contains(Path.Combine(folder, "layer1.png"), run.Out); // the table rows of the layers written
        Assert.True(File.Exists(Path.Combine(folder, "layer0.png")));
        Assert.True(File.Exists(Path.Combine(folder, "layer1.png")));
        Assert.False(File.Exists(Path.Combine(folder, "layer2.png")));
    }

    [Fact]
    public void ALaterLayerFailingStillPrintsTheJsonOfTheLayersWrittenWithAnErrorObject()
    {
        string corrupt = CorruptLastLayer();
        var run = _cli.Run("decode", corrupt, "-o", _cli.PathOf("out"), "--json");

        AssertOneError(run, ExitCodes.Failed, "Layer 2: chunk CRC mismatch");
        using var doc = System.Text.Json.JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.Equal("decode", root.GetProperty("command").GetString());
        Assert.False(root.GetProperty("truncated").GetBoolean());
        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal([0, 1], layers.Select(l => l.GetProperty("index").GetInt32()));
        Assert.All(layers, l => Assert.True(File.Exists(l.GetProperty("file").GetString())));
        var error = root.GetProperty("error");
        Assert.StartsWith("Layer 2: chunk CRC mismatch", error.GetProperty("message").GetString());
        Assert.Equal(2, error.GetProperty("layer").GetInt32());
        Assert.Equal(CliRoundTripTests.LayerOffset(corrupt, 2) + 4, error.GetProperty("byteOffset").GetInt64()); // the stored CRC
    }

    [Fact]
    public void AFailingBaseLayerPrintsTheErrorAsJson()
    {
        byte[] bytes = File.ReadAllBytes(_stream);
        bytes[CliRoundTripTests.LayerOffset(_stream, 0) + BitstreamFormatChunkHead + 3] ^= 0x5A;
        string corrupt = _cli.PathOf("corrupt0.cmps");
        File.WriteAllBytes(corrupt, bytes);
        var run = _cli.Run("decode", corrupt, "-o", _cli.PathOf("out"), "--json");
        AssertOneError(run, ExitCodes.Failed, "Layer 0: chunk CRC mismatch");
        // No layer document, but a script reading stdout still gets one: the error.
        using var doc = System.Text.Json.JsonDocument.Parse(run.Out);
        Assert.Equal("decode", doc.RootElement.GetProperty("command").GetString());
        Assert.Equal(ExitCodes.Failed, doc.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Contains("Layer 0: chunk CRC mismatch", doc.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public void StreamOfAnotherModel()
    {
        _cli.ModelSeed = 7;
        AssertOneError(_cli.Run("decode", _stream, "-o", _cli.PathOf("out")), ExitCodes.Failed, "model");
    }

    [Fact]
    public void ModelThatCannotLoad()
    {
        _cli.LoadModel = _ => throw new CliException("cannot load the model 'nope.zip': not found");
        AssertOneError(_cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), "--model", "nope.zip"), ExitCodes.Failed, "nope.zip");
    }

    [Fact]
    public void UnexpectedFailuresAreStillOneLineWithoutVerbose()
    {
        _cli.LoadModel = _ => throw new NotImplementedException("boom");
        AssertOneError(_cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps")), ExitCodes.Failed, "unexpected NotImplementedException: boom");

        var verbose = _cli.Run("encode", _image, "-o", _cli.PathOf("x.cmps"), "--verbose");
        Assert.Equal(ExitCodes.Failed, verbose.ExitCode);
        Assert.StartsWith("compass: error: ", verbose.ErrorLines[0]);
        Assert.Contains("   at ", verbose.Error); // --verbose shows the stack trace
    }

    private const int BitstreamFormatChunkHead = Bitstream.BitstreamFormat.ChunkHeadSize;
}
