using System.Text.Json;

namespace Compass.Cli.Tests;

/// <summary><c>compass eval</c>: the command around Compass.Evaluation's RdEvaluator.</summary>
public sealed class CliEvalTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string ImageFolder(int count, int width = 96, int height = 64)
    {
        string folder = _cli.PathOf("images");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < count; i++)
            File.Move(_cli.WriteImage($"img{i}.png", width + 16 * i, height), Path.Combine(folder, $"img{i}.png"));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not an image");
        return folder;
    }

    [Fact]
    public void WritesResultsMarkdownAndPlotsWithProgressPerImage()
    {
        string images = ImageFolder(3);
        string results = _cli.PathOf("out/results.json"), markdown = _cli.PathOf("out/results.md"), plots = _cli.PathOf("out/plots");
        var run = _cli.Run("eval", "--images", images, "--setup", "two-layer,single", "--count", "2", "--out", results,
            "--markdown", markdown, "--plots", plots, "--note", "cli test");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());

        using var json = JsonDocument.Parse(File.ReadAllText(results));
        Assert.Equal("compass-eval/1", json.RootElement.GetProperty("schema").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("images").GetArrayLength());
        // The fake model has qualities 1 and 2: two rate points.
        Assert.Equal(["model1-q1", "model1-q2"], json.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(["two-layer", "single"], json.RootElement.GetProperty("setups").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.True(File.Exists(Path.Combine(plots, "rd-two-layer.png")));
        Assert.True(File.Exists(Path.Combine(plots, "rd-single.png")));
        Assert.Contains("n/a (needs 4 rate points, has 2)", File.ReadAllText(markdown));
        Assert.Contains("| vs | 1.2x |", run.Out);
        // One progress line per image, setup and model, in order.
        var progress = run.ErrorLines.Where(l => l.Contains("compass: eval: [", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * 2 * 2, progress.Count);
        Assert.StartsWith("compass: eval: [two-layer] model1-q1 1/2 img0.png", progress[0]);
        Assert.Contains(_cli.Requests, r => r.Path is null);
    }

    [Fact]
    public void JsonPrintsTheResultsDocument()
    {
        string images = ImageFolder(1);
        var run = _cli.Run("eval", "--images", images, "--setup", "single", "--out", _cli.PathOf("r.json"), "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal("single", json.RootElement.GetProperty("setups")[0].GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("--setup", "four-layer")]
    [InlineData("--count", "0")]
    public void InvalidArgumentsExitWithTwo(string option, string value)
    {
        string images = ImageFolder(1);
        var args = new List<string> { "eval", "--images", images, "--out", _cli.PathOf("r.json"), "--setup", "single" };
        args.AddRange([option, value]);
        var run = _cli.Run([.. args]);
        Assert.Equal(ExitCodes.InvalidArguments, run.ExitCode);
        Assert.StartsWith("compass: error:", run.ErrorLines[0]);
    }

    [Fact]
    public void MissingOrEmptyImageFoldersFailWithOneLine()
    {
        var run = _cli.Run("eval", "--images", _cli.PathOf("nowhere"), "--setup", "single", "--out", _cli.PathOf("r.json"));
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("no image folder", run.Error);
        Directory.CreateDirectory(_cli.PathOf("empty"));
        run = _cli.Run("eval", "--images", _cli.PathOf("empty"), "--setup", "single", "--out", _cli.PathOf("r.json"));
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("no images", run.Error);
        Assert.False(File.Exists(_cli.PathOf("r.json")));
    }

    [Fact]
    public void CancellationExitsWith130AndWritesNothing()
    {
        string images = ImageFolder(1);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var run = _cli.Run(cancel.Token, "eval", "--images", images, "--setup", "single", "--out", _cli.PathOf("r.json"));
        Assert.Equal(ExitCodes.Cancelled, run.ExitCode);
        Assert.False(File.Exists(_cli.PathOf("r.json")));
    }

    [Fact]
    public void RunsEndToEndWithTheEmbeddedDefaultModel()
    {
        _cli.LoadModel = ModelLoading.Load; // the real ONNX default model, CPU
        string images = ImageFolder(2);
        string results = _cli.PathOf("results.json");
        var run = _cli.Run("eval", "--images", images, "--setup", "two-layer", "--count", "2", "--quality", "3", "--out", results, "--provider", "cpu", "--threads", "1");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(results));
        Assert.Equal(1, json.RootElement.GetProperty("models").GetArrayLength());
        var model = json.RootElement.GetProperty("models")[0];
        Assert.StartsWith("compass-", model.GetProperty("name").GetString());
        Assert.Equal(64, model.GetProperty("identity").GetString()!.Length);
        Assert.Equal(JsonValueKind.Object, model.GetProperty("card").ValueKind);
        var rows = json.RootElement.GetProperty("setups")[0].GetProperty("rows");
        Assert.Equal(2 * 5 * 3, rows.GetArrayLength()); // images x configurations x curves
        foreach (var row in rows.EnumerateArray())
        {
            Assert.InRange(row.GetProperty("psnr").GetDouble(), 10, 60);
            Assert.Equal(row.GetProperty("totalBytes").GetInt64(), row.GetProperty("layers").EnumerateArray().Sum(l => l.GetProperty("bytes").GetInt64()));
        }
    }

    [Fact]
    public void AQualityNoModelProvides_IsAOneLineError()
    {
        string images = ImageFolder(1);
        var run = _cli.Run("eval", "--images", images, "--setup", "single", "--quality", "9", "--out", _cli.PathOf("r.json"));
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("no model provides quality 9", run.Error);
        Assert.False(File.Exists(_cli.PathOf("r.json")));
    }

    /// <summary>
    /// The published Kodak results are reproduced by the shipped model: kodim01 is coded again with the
    /// embedded ladder and every stream must have the published size and PSNR (the JSON was measured on
    /// bundles exported from the same weights, identical graphs; only the cards differ).
    /// </summary>
    private const double PixelPsnrTolerance = 1e-3;

    private static string ReadText(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal)) return File.ReadAllText(path);
        using var gzip = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd();
    }

    [SkippableFact]
    public void PublishedKodakResults_AreReproducedByTheEmbeddedModel()
    {
        string kodak = Compass.Testing.SharedData.Kodak;
        // The published results may be stored gzip-compressed (kodak.json.gz).
        string published = Path.Combine(RepositoryRoot(), "docs", "results", "kodak.json");
        if (!File.Exists(published) && File.Exists(published + ".gz")) published += ".gz";
        Skip.IfNot(File.Exists(published), $"{published} is absent");
        string images = _cli.PathOf("kodim01");
        Directory.CreateDirectory(images);
        File.Copy(Path.Combine(kodak, "kodim01.png"), Path.Combine(images, "kodim01.png"));
        _cli.LoadModel = ModelLoading.Load;

        static Dictionary<(double, string, string, string), (long Bytes, double Psnr)> Rows(string path, string setupName)
        {
            using var json = JsonDocument.Parse(ReadText(path));
            var setup = json.RootElement.GetProperty("setups").EnumerateArray().Single(x => x.GetProperty("name").GetString() == setupName);
            return setup.GetProperty("rows").EnumerateArray()
                .Where(r => r.GetProperty("image").GetString() == "kodim01.png")
                .ToDictionary(
                    r => (r.GetProperty("quality").GetDouble(), r.GetProperty("configuration").GetString()!, r.GetProperty("curve").GetString()!, r.GetProperty("plan").GetString()!),
                    r => (r.GetProperty("totalBytes").GetInt64(), r.GetProperty("psnr").GetDouble()));
        }

        int publishedVersion;
        using (var json = JsonDocument.Parse(ReadText(published)))
            publishedVersion = json.RootElement.TryGetProperty("bitstreamVersion", out var v) ? v.GetInt32() : 1;
        foreach (var setup in new[] { "single", "two-layer" })
        {
            var expected = Rows(published, setup);
            // Code kodim01 again at exactly the published qualities of this setup (a variable-rate model's
            // results may hold fractional ones, which an eval without --quality leaves out).
            string qualities = string.Join(",", expected.Keys.Select(k => k.Item1).Distinct().Order()
                .Select(q => q.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
            string results = _cli.PathOf($"again-{setup}.json");
            var run = _cli.Run("eval", "--images", images, "--setup", setup, "--quality", qualities, "--out", results, "--provider", "cpu", "--threads", "1");
            Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
            var actual = Rows(results, setup);
            Assert.Equal(expected.Count, actual.Count);
            Assert.True(actual.Count >= 4, $"{setup}: only {actual.Count} rows");
            foreach (var (key, value) in expected)
            {
                Assert.True(actual.TryGetValue(key, out var again), $"{setup} {key}: not coded again");
                // Stream sizes are exact on every CPU: parsing and the entropy path are fixed-point. Results published
                // before bitstream version 2 (no "bitstreamVersion" field) have version-1 headers, 6 bytes per layer
                // shorter (no per-layer quality and step); every stream of a row (simulcast: one per layer) pays it once per layer.
                long headerGrowth = publishedVersion >= 2 ? 0 : 6L * key.Item4.Split(',').Length;
                Assert.Equal(value.Bytes + headerGrowth, again.Bytes);
                // Decoded pixels come from float networks whose ONNX Runtime kernels differ per instruction
                // set, so a few 8-bit values round the other way: one flipped value of kodim01 moves the PSNR
                // by about 5e-7 dB here (MSE ~200 over 1.18 M values). Measured between an AVX2 and an
                // AVX-512 host: 7.4e-7 dB. 1e-3 dB allows ~2000 flips (0.2% of the values) and still
                // catches any change of weights, graphs or resampling (those move it by 0.01 dB or more).
                Assert.True(Math.Abs(value.Psnr - again.Psnr) <= PixelPsnrTolerance,
                    $"{setup} {key}: PSNR {again.Psnr:F9} dB, published {value.Psnr:F9} dB (tolerance {PixelPsnrTolerance} dB)");
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Compass.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (Compass.sln) was not found above the test assembly.");
    }
}

/// <summary><c>compass report</c>: re-renders and merges results without coding.</summary>
public sealed class CliReportTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void MergesRunsOfDifferentSetupsIntoOneTableAndPlots()
    {
        string folder = _cli.PathOf("images");
        Directory.CreateDirectory(folder);
        File.Move(_cli.WriteImage("a.png", 96, 64), Path.Combine(folder, "a.png"));
        Assert.Equal(0, _cli.Run("eval", "--images", folder, "--setup", "two-layer", "--out", _cli.PathOf("two.json")).ExitCode);
        Assert.Equal(0, _cli.Run("eval", "--images", folder, "--setup", "single", "--out", _cli.PathOf("single.json")).ExitCode);

        var run = _cli.Run("report", _cli.PathOf("two.json"), _cli.PathOf("single.json"), "--plots", _cli.PathOf("plots"), "--out", _cli.PathOf("all.json"));
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("| Simulcast |", run.Out);
        Assert.Contains("| JPEG 4:2:0 |", run.Out);
        Assert.True(File.Exists(_cli.PathOf("plots/rd-two-layer.png")));
        Assert.True(File.Exists(_cli.PathOf("plots/rd-single.png")));
        using var merged = JsonDocument.Parse(File.ReadAllText(_cli.PathOf("all.json")));
        Assert.Equal(2, merged.RootElement.GetProperty("setups").GetArrayLength());
    }

    [Fact]
    public void RejectsFilesThatAreNotResults()
    {
        File.WriteAllText(_cli.PathOf("bad.json"), "[1, 2]");
        var run = _cli.Run("report", _cli.PathOf("bad.json"));
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("not a results file", run.Error);
    }
}
