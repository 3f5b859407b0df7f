using Compass.Evaluation;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Evaluation.Tests;

/// <summary>The evaluator over the managed fake networks: accounting, baselines, sizes, cache, outputs.</summary>
public sealed class RdEvaluatorTests : IDisposable
{
    private static readonly FakeModel Model = new(7);
    private readonly string _folder = Directory.CreateTempSubdirectory("compass-eval-tests-").FullName;
    private readonly string[] _images;

    public RdEvaluatorTests()
    {
        _images = [WriteImage("a.png", 128, 96, 0), WriteImage("b.png", 96, 128, 1)];
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }

    private static EvaluatedModel Point(int quality = 1) => new($"fake-q{quality}", Model, new Quality(quality));

    [Fact]
    public void StreamBytesAddUpAndLayerSizesFollowTheSetup()
    {
        var results = new RdEvaluator().Evaluate([Point()], _images, [EvaluationSetup.TwoLayer, EvaluationSetup.ThreeLayer]);
        foreach (var setup in results.Setups)
        {
            var definition = EvaluationSetup.Parse(setup.Name);
            var compass = setup.Rows.Where(r => r.Curve == Curves.Compass).ToList();
            Assert.Equal(_images.Length * definition.Configurations.Count, compass.Count);
            foreach (var row in compass)
            {
                var image = results.Images.Single(i => i.Name == row.Image);
                var plan = definition.Configurations.Single(c => c.Label == row.Configuration).PlanFor(image.Width, image.Height);
                Assert.Equal(plan.ToString(), row.Plan);
                Assert.Equal(plan.Layers.Select(s => (s.Width, s.Height)), row.Layers.Select(l => (l.Width, l.Height)));
                Assert.Equal(row.TotalBytes, row.Layers.Sum(l => l.Bytes));
                Assert.Equal(row.TotalBytes, row.Layers[^1].AccumulatedBytes);
                Assert.Equal(row.TotalBytes * 8.0 / plan.Final.Pixels, row.Bpp, 12);
                Assert.Equal(row.Layers[^1].Psnr, row.Psnr);
                Assert.All(row.Layers, l => Assert.Equal(l.AccumulatedBytes * 8, l.AccumulatedBits));
                Assert.All(row.Layers, l => Assert.InRange(l.Psnr, 10, 99));
            }
        }
    }

    [Fact]
    public void CompassRowsMatchAnIndependentEncodeAndDecode()
    {
        var results = new RdEvaluator().Evaluate([Point()], _images[..1], [EvaluationSetup.TwoLayer]);
        var row = results.Setups[0].Rows.First(r => r.Curve == Curves.Compass && r.Configuration == "2.0x");
        var image = ImageSharpLoader.LoadPixels(_images[0]);
        var plan = LayerPlan.Parse(row.Plan);
        byte[] stream = new ScalableEncoder(Model).Encode(image, plan, new EncodeOptions { Quality = new Quality(1) });
        Assert.Equal(stream.Length, row.TotalBytes);
        using var decoded = new ScalableDecoder(Model).Decode(stream);
        var truth = Resampler.ResizeBicubic(image, plan.Final.Width, plan.Final.Height);
        Assert.Equal(ImageMetrics.Psnr(decoded.Layers[^1].Pixels, truth), row.Psnr, 12);
        Assert.Equal(Model.Networks(1).ModelId.ToString(), results.Models[0].Identity);
    }

    [Fact]
    public void SimulcastIsTheSumOfSingleLayerRunsAndTheCacheCodesEachSizeOnce()
    {
        var evaluator = new RdEvaluator();
        var results = evaluator.Evaluate([Point()], _images, [EvaluationSetup.TwoLayer]);
        var rows = results.Setups[0].Rows;
        foreach (var simulcast in rows.Where(r => r.Curve == Curves.Simulcast))
        {
            var single = rows.Single(r => r.Curve == Curves.SingleLayer && r.Image == simulcast.Image && r.Configuration == simulcast.Configuration);
            // The base layer's one-layer stream: the single-layer row of nothing else, so code it independently.
            var image = ImageSharpLoader.LoadPixels(_images.Single(p => Path.GetFileName(p) == simulcast.Image));
            var baseSize = new LayerSize(simulcast.Layers[0].Width, simulcast.Layers[0].Height);
            long baseBytes = new ScalableEncoder(Model).Encode(image, LayerPlan.FromSizes(baseSize), new EncodeOptions { Quality = new Quality(1) }).Length;
            Assert.Equal(baseBytes, simulcast.Layers[0].Bytes);
            Assert.Equal(single.TotalBytes, simulcast.Layers[1].Bytes);
            Assert.Equal(baseBytes + single.TotalBytes, simulcast.TotalBytes);
            Assert.Equal(single.Psnr, simulcast.Psnr);
            Assert.Equal(simulcast.Layers.Select(l => (l.Width, l.Height)),
                rows.Single(r => r.Curve == Curves.Compass && r.Image == simulcast.Image && r.Configuration == simulcast.Configuration).Layers.Select(l => (l.Width, l.Height)));
        }
        // Per image: the base layer size once, and five final sizes.
        Assert.Equal(_images.Length * 6, evaluator.OneLayerEncodes);

        // A second setup on the same evaluator reuses the runs of sizes it already coded: the base layer (0.25),
        // EL1 (0.5, the two-layer 2.0x final) and the finals at 0.6 and 0.7; only 0.8, 0.9 and 1.0 are new.
        evaluator.Evaluate([Point()], _images, [EvaluationSetup.ThreeLayer]);
        int newSizes = _images.Length * 3;
        Assert.Equal(_images.Length * 6 + newSizes, evaluator.OneLayerEncodes);
    }

    [Fact]
    public void SingleSetupCodesTheOriginalAndComparesWithClassicCodecs()
    {
        var results = new RdEvaluator().Evaluate([Point(1), Point(2)], _images, [EvaluationSetup.Single]);
        var setup = Assert.Single(results.Setups);
        Assert.All(setup.Rows, r => Assert.Equal(Curves.SingleLayer, r.Curve));
        Assert.Equal(["128x96", "128x96", "96x128", "96x128"], setup.Rows.Select(r => r.Plan));
        Assert.Equal(2, setup.Means.Count);
        Assert.Equal(ClassicCodecAnchors.All.Count * 2, setup.BdRates.Count);
        Assert.All(setup.BdRates.Where(b => b.Method == "cubic"), b => Assert.Equal("n/a (needs 4 rate points, has 2)", b.Note));
    }

    [Fact]
    public void MeansAverageTheImagesAndBdRateNeedsEnoughModels()
    {
        var results = new RdEvaluator().Evaluate([Point()], _images, [EvaluationSetup.TwoLayer]);
        var setup = results.Setups[0];
        var mean = setup.Means.Single(m => m.Configuration == "1.6x" && m.Curve == Curves.Compass);
        var rows = setup.Rows.Where(r => r.Configuration == "1.6x" && r.Curve == Curves.Compass).ToList();
        Assert.Equal(rows.Average(r => r.Bpp), mean.Bpp, 12);
        Assert.Equal(rows.Average(r => r.Psnr), mean.Psnr, 12);
        Assert.Equal(2, mean.Images);
        var cell = setup.BdRates.Single(b => b.Configuration == "1.6x" && b.Reference == Curves.Simulcast && b.Method == "cubic");
        Assert.Null(cell.Percent);
        Assert.Equal("n/a (needs 4 rate points, has 1)", cell.Text);
        Assert.Single(setup.Timings);
    }

    [Fact]
    public void ResultsRoundTripThroughGzipJson()
    {
        var results = new RdEvaluator().Evaluate([Point()], _images[..1], [EvaluationSetup.Single], note: "gzip");
        string plain = Path.Combine(_folder, "r.json"), packed = Path.Combine(_folder, "r.json.gz");
        ResultsJson.Write(results, plain);
        ResultsJson.Write(results, packed);

        // A gzip member starts with 1f 8b; the plain file is the same JSON as text.
        var head = File.ReadAllBytes(packed).AsSpan(0, 2).ToArray();
        Assert.Equal(new byte[] { 0x1f, 0x8b }, head);
        Assert.True(new FileInfo(packed).Length < new FileInfo(plain).Length);
        var read = ResultsJson.Read(packed);
        Assert.Equal(ResultsJson.Serialize(results), ResultsJson.Serialize(read));
    }

    [Fact]
    public void ResultsRoundTripThroughJsonAndRenderAsMarkdownAndPlots()
    {
        var results = new RdEvaluator().Evaluate([Point()], _images[..1], [EvaluationSetup.TwoLayer, EvaluationSetup.Single], note: "unit test");
        string json = Path.Combine(_folder, "r.json");
        ResultsJson.Write(results, json);
        var read = ResultsJson.Read(json);
        Assert.Equal(EvaluationResults.SchemaId, read.Schema);
        Assert.Equal("unit test", read.Note);
        Assert.Equal(results.Setups[0].Rows.Count, read.Setups[0].Rows.Count);
        Assert.Equal(results.Setups[0].Means[0], read.Setups[0].Means[0]);

        string markdown = MarkdownReport.Render(read);
        Assert.Contains("| vs | 1.2x | 1.6x | 2.0x | 2.4x | 2.8x | 3L 2.4x | 2.8x | 3.2x | 3.6x | 4.0x |", markdown);
        Assert.Contains("| Simulcast | n/a [1] | n/a [1] |", markdown); // one footnote per distinct reason
        Assert.Contains("[1] n/a (needs 4 rate points, has 1)", markdown);
        Assert.Contains("| JPEG 4:2:0 |", markdown);
        Assert.Contains("> unit test", markdown);

        var plots = RdPlotter.WriteAll(read, Path.Combine(_folder, "plots"));
        Assert.Equal(["rd-two-layer.png", "rd-single.png"], plots.Select(Path.GetFileName));
        foreach (string plot in plots)
        {
            using var png = Image.Load<Rgb24>(plot);
            Assert.Equal((RdPlotter.Width, RdPlotter.Height), (png.Width, png.Height));
        }
    }

    [Fact]
    public void BadRequestsThrowArgumentException()
    {
        var evaluator = new RdEvaluator();
        Assert.Throws<ArgumentException>(() => evaluator.Evaluate([], _images, [EvaluationSetup.Single]));
        Assert.Contains("named 'fake-q1'", Assert.Throws<ArgumentException>(() => evaluator.Evaluate([Point(), Point()], _images, [EvaluationSetup.Single])).Message);
        Assert.Contains("no quality 5", Assert.Throws<ArgumentException>(() => evaluator.Evaluate([Point(5)], _images, [EvaluationSetup.Single])).Message);
        string tiny = WriteImage("tiny.png", 40, 40, 2); // BL would be 10x10, below the 16 px minimum
        Assert.Throws<ArgumentException>(() => evaluator.Evaluate([Point()], [tiny], [EvaluationSetup.TwoLayer]));
    }

    [Fact]
    public void AVariableRateModelIsEvaluatedAtQualitiesBetweenItsLevels()
    {
        using var variable = new FakeVariableRateModel();
        var points = new[] { 1.5, 2, 2.5 }.Select(q => new EvaluatedModel($"vr-q{q}", variable, new Quality(q))).ToList();
        var results = new RdEvaluator().Evaluate(points, _images, [EvaluationSetup.Single]);

        var means = results.Setups[0].Means.Where(m => m.Curve == Curves.SingleLayer).OrderBy(m => m.Quality).ToList();
        Assert.Equal([1.5, 2, 2.5], means.Select(m => m.Quality));
        // A smaller quantisation step (higher quality) codes more bytes: the fake anchors' steps fall with quality.
        Assert.True(means[0].Bpp < means[1].Bpp && means[1].Bpp < means[2].Bpp, string.Join(", ", means.Select(m => m.Bpp)));
        // Fractional qualities survive the JSON round trip exactly (multiples of 1/256 are exact doubles).
        string path = Path.Combine(_folder, "vr.json");
        ResultsJson.Write(results, path);
        Assert.Equal([1.5, 2, 2.5], ResultsJson.Read(path).Models.Select(m => m.Quality));
        // A single-rate model codes only its levels.
        Assert.Contains("no quality 1.5", Assert.Throws<ArgumentException>(
            () => new RdEvaluator().Evaluate([new EvaluatedModel("single", Model, new Quality(1.5))], _images, [EvaluationSetup.Single])).Message);
    }

    [Fact]
    public void CancellationStopsTheRun()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new RdEvaluator().Evaluate([Point()], _images, [EvaluationSetup.Single], cancellationToken: cancel.Token));
    }

    private string WriteImage(string name, int width, int height, int seed)
    {
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(128 + 100 * Math.Sin((x + 7 * seed) / 11.0)), (byte)((x * y + seed * 31) % 251), (byte)(255 * y / height));
        string path = Path.Combine(_folder, name);
        image.SaveAsPng(path);
        return path;
    }
}
