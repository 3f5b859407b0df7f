using System.Text.Json;
using Compass.Bundles;
using Compass.ImageSharp;
using Compass.Onnx;
using Compass.Testing;
using Compass.Training.Cli;
using Compass.Training.Export;
using Compass.Training.Modules;
using Compass.Training.Objectives;
using Compass.Training.Tests.Data;
using Compass.Training.Tests.Objectives;
using Compass.Training.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Codec;

/// <summary>
/// Rate levels below quality 1 and at any Q8.8 quality (the 8x range of issue 19): the lambda scale, <c>--variable-rate</c>
/// parsing, fp16 weights, metric names, growing a run's levels with <c>--init</c>, exporting codecs with different level
/// sets, and one run from training to the runtime.
/// </summary>
public sealed class FractionalLevelTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => TrainCliProcess.Run(args);

    [Fact]
    public void LambdaScale_IsLinearBelowOne_TheLadderAtWholeQualities_AndGeometricBetween()
    {
        Assert.Equal(0.0009, RateLadder.LambdaOf(0.5), 15);
        Assert.Equal(0.00045, RateLadder.LambdaOf(0.25), 15);
        Assert.Equal(0.0018 / 256, RateLadder.LambdaOf(1.0 / 256), 15);
        for (int q = 1; q <= 8; q++) Assert.Equal(RateLadder.LambdaOf(q), RateLadder.LambdaOf((double)q)); // exactly the ladder
        // Between two whole qualities the rule's log-steps lie on the line between theirs (what the runtime interpolates).
        Assert.Equal(Math.Sqrt(0.0035 * 0.0067), RateLadder.LambdaOf(2.5), 12);
        // Increasing over every Q8.8 quality, continuous at 1 (one 1/256 below it is 1/256 of lambda_1 away).
        double previous = 0;
        for (int k = 1; k <= 8 * 256; k++)
        {
            double lambda = RateLadder.LambdaOf(k / 256.0);
            Assert.True(lambda > previous, $"lambda({k}/256) = {lambda} is not above {previous}");
            previous = lambda;
        }
        Assert.Equal(0.0018 / 256, RateLadder.LambdaOf(1.0) - RateLadder.LambdaOf(255 / 256.0), 12);

        foreach (var bad in new[] { 0, -0.5, 0.1, 8 + (1 / 256.0), 9, double.NaN, double.PositiveInfinity })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => RateLadder.LambdaOf(bad));
            Assert.Contains("multiples of 1/256", e.Message);
        }
    }

    [Fact]
    public void RuleLogStep_AtAFractionalQuality_KeepsLambdaTimesStepSquared()
    {
        double reference = RateLadder.LambdaOf(3);
        foreach (var q in new[] { 0.25, 0.5, 0.75, 1, 2.5, 8 })
        {
            double step = Math.Exp(MeanScaleHyperprior.RuleLogStep(reference, q));
            Assert.Equal(reference, RateLadder.LambdaOf(q) * step * step, 1e-6); // float32 log-step: ~1e-7 relative
        }
        Assert.Equal(0.5 * Math.Log(2), RateLevelSteps.FromLevel(1, 0, 0.5), 12);
        Assert.Equal(0.1 + (0.5 * Math.Log(4)), RateLevelSteps.FromLevel(1, 0.1, 0.25), 12);
    }

    [Fact]
    public void VariableRateList_TakesDecimalsAndWholeRanges()
    {
        Assert.True(QualityList.TryParse("0.25,0.5,1-8", out var levels, out var why), why);
        Assert.Equal([0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8], levels);
        Assert.True(QualityList.TryParse(" 0.00390625 , 2.5,3", out levels, out why), why);
        Assert.Equal([1 / 256.0, 2.5, 3], levels);
        foreach (var (spec, message) in new[]
        {
            ("0.3,1", "multiples of 1/256"), ("0.5-2", "one by one"), ("1,1-2", "increasing order"), ("1-8,9", "from 1/256 to 8"),
            ("0,1", "Quality 0 cannot"), ("1,2,x", "'x' is not a quality"), ("1e-1,1", "not a quality"), ("0.5", "at least two"),
        })
        {
            Assert.False(QualityList.TryParse(spec, out _, out why), spec);
            Assert.Contains(message, why);
        }
    }

    [Fact]
    public void EveryQ88Quality_SurvivesTheFp16WeightsFile()
    {
        // 2048 = 2^11 values of 1/256 up to 8: within fp16's 11 significant bits, so every level quality is exact.
        for (int k = 1; k <= 8 * 256; k++) Assert.Equal(k / 256.0, (double)(Half)(k / 256.0));

        using var folder = new TempDir();
        double[] qualities = [1 / 256.0, 0.25, 0.5, 1, 2.5, 2047 / 256.0, 8];
        manual_seed(3);
        using var network = new CompassNetwork(ObjectiveTestUtil.Tiny, qualities, 1);
        var path = folder.Combine("vr-f16.weights");
        CompactWeights.Export(network, path);
        using var weights = CompassWeights.Load(path);
        Assert.Equal(qualities, weights.BaseCodec.RateQualities);
        var expected = network.Base.RateLogSteps();
        var actual = weights.BaseCodec.RateLogSteps();
        for (int i = 0; i < qualities.Length; i++) Assert.Equal(expected[i], actual[i], 2e-3); // fp16: 11 bits of |s| <= 4
    }

    [Fact]
    public void Validation_NamesFractionalLevels_Parseably_AndAFractionalLevelCanBeTheReference()
    {
        Assert.Equal("psnr_q3", CompassObjective.LevelMetricName("psnr", 3));
        Assert.Equal("bpp_q0.25", CompassObjective.LevelMetricName("bpp", 0.25));
        Assert.True(CompassObjective.TryParseLevelMetricName("bpp_q0.25", out var metric, out var quality));
        Assert.Equal(("bpp", 0.25), (metric, quality));
        Assert.True(CompassObjective.TryParseLevelMetricName("psnr_q7", out metric, out quality));
        Assert.Equal(("psnr", 7.0), (metric, quality));
        Assert.False(CompassObjective.TryParseLevelMetricName("bpp", out _, out _));
        Assert.False(CompassObjective.TryParseLevelMetricName("bpp_q0.3", out _, out _));

        manual_seed(5);
        using var objective = new BaseLayerObjective(new CompassNetwork(ObjectiveTestUtil.Tiny, [0.5, 1, 2], 1), RateLadder.LambdaOf(1));
        Assert.Equal(1.0, objective.ReferenceQuality);
        Assert.Equal([0.5, 1, 2], objective.RateLevels);
        using var batch = ObjectiveTestUtil.Batch((32, 32));
        objective.Network.eval();
        var metrics = objective.Evaluate(batch);
        foreach (var q in new[] { "0.5", "1", "2" }) Assert.True(metrics.ContainsKey($"bpp_q{q}") && metrics.ContainsKey($"psnr_q{q}"), q);
        Assert.Equal(metrics["bpp_q1"], metrics["bpp"]);

        using var atHalf = new BaseLayerObjective(new CompassNetwork(ObjectiveTestUtil.Tiny, [0.5, 1, 2], 0.5), 0.0009);
        Assert.Equal(0.5, atHalf.ReferenceQuality);
    }

    [Fact]
    public void InitGrowsLevels_ByQuality_NewOnesByTheRuleFromTheNearest_AndResumingRefusesOtherLevels()
    {
        using var folder = new TempDir();
        manual_seed(8);
        using var source = new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3], 2);
        source.Base.SetRateLogSteps([0.3, 0.1, -0.2]);
        var path = folder.Combine("src-f16.weights");
        CompactWeights.Export(source, path);
        var stored = CompassWeights.Load(path);
        var sourceSteps = stored.BaseCodec.RateLogSteps().Select(v => (double)v).ToArray(); // as fp16 kept them
        var sourceWeight = stored.BaseCodec.state_dict()["g_a.0.weight"].clone();
        stored.Dispose();

        // Levels that are not at the same index as the source's: matched by quality.
        manual_seed(9);
        using var grown = new CompassNetwork(ObjectiveTestUtil.Tiny, [0.25, 0.5, 2, 3, 4], 2);
        var log = new List<string>();
        WeightInitializer.Load(grown, ["base"], path, otherLevels: true, log.Add);
        var steps = grown.Base.RateLogSteps();
        Assert.Equal(sourceSteps[0] + (0.5 * Math.Log(0.0018 / 0.00045)), steps[0], 5);
        Assert.Equal(sourceSteps[0] + (0.5 * Math.Log(0.0018 / 0.0009)), steps[1], 5);
        Assert.Equal(sourceSteps[1], steps[2], 6);
        Assert.Equal(sourceSteps[2], steps[3], 6);
        Assert.Equal(sourceSteps[2] + (0.5 * Math.Log(0.0067 / 0.0130)), steps[4], 5);
        Assert.True(grown.Base.state_dict()["g_a.0.weight"].equal(sourceWeight).all().item<bool>());
        var line = Assert.Single(log);
        Assert.Contains("levels 2, 3 copied by quality", line);
        Assert.Contains("new level 0.25 starts at log-step", line);
        Assert.Contains("new level 4 starts at log-step", line);
        Assert.Contains("from level 3 by the rule", line);
        Assert.Contains("levels 1 dropped", line);

        // Continuing a run (--resume-weights) needs its levels; the message says how to grow them instead.
        using var other = new CompassNetwork(ObjectiveTestUtil.Tiny, [0.5, 1, 2, 3], 2);
        var e = Assert.Throws<CompassFormatException>(() => WeightInitializer.Load(other, ["base"], path));
        Assert.Contains("other rate levels", e.Message);
        Assert.Contains("--init", e.Message);
        sourceWeight.Dispose();
    }

    [Fact]
    public void Export_OfCodecsWithDifferentLevels_WritesTheUnion_AndSaysWhichStepsWereDerived()
    {
        manual_seed(12);
        using var network = new CompassNetwork(ObjectiveTestUtil.Tiny, [0.25, 0.5, 1, 2, 3], 2);
        manual_seed(13);
        using var residualNetwork = new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3, 4], [1, 2, 3, 4], 2);
        var baseCodec = network.Base;
        var residual = residualNetwork.Residual;
        baseCodec.SetRateLogSteps([0.9, 0.6, 0.35, 0.0, -0.3]);
        residual.SetRateLogSteps([0.4, 0.05, -0.25, -0.55]);

        var anchors = BundleExporter.Anchors(baseCodec, residual);
        Assert.Equal([0.25, 0.5, 1, 2, 3, 4], anchors.Anchors.Select(a => a.Quality));
        Assert.Equal([0.00045, 0.0009, 0.0018, 0.0035, 0.0067, 0.0130], anchors.Anchors.Select(a => a.Lambda!.Value), new ToleranceComparer(1e-15));
        double F(double v) => (float)v; // learned steps are float32
        Assert.Equal([F(0.9), F(0.6), F(0.35), 0, F(-0.3), F(-0.3) + (0.5 * Math.Log(0.0067 / 0.0130))],
            anchors.Anchors.Select(a => a.BaseLogStep), new ToleranceComparer(1e-12));
        Assert.Equal([F(0.4) + (0.5 * Math.Log(4)), F(0.4) + (0.5 * Math.Log(2)), F(0.4), F(0.05), F(-0.25), F(-0.55)],
            anchors.Anchors.Select(a => a.ResidualLogStep), new ToleranceComparer(1e-12));

        using var folder = new TempDir();
        var card = JsonDocument.Parse("""{"steps": 0}""").RootElement;
        var manifest = BundleExporter.Export(baseCodec, network.Liff, residual, new BundleExportOptions { Name = "grown", Preset = "tiny", Card = card }, folder.Combine("b"));
        Assert.Equal(0.25, manifest.Rate!.QualityMin);
        Assert.Equal(0, manifest.Card!.Value.GetProperty("steps").GetInt32());
        var derived = manifest.Card.Value.GetProperty("derivedRateLevels").EnumerateArray().ToList();
        Assert.Equal(2, derived.Count);
        Assert.Equal("base", derived[0].GetProperty("codec").GetString());
        Assert.Equal([4.0], derived[0].GetProperty("qualities").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([3.0], derived[0].GetProperty("fromLevels").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("residual", derived[1].GetProperty("codec").GetString());
        Assert.Equal([0.25, 0.5], derived[1].GetProperty("qualities").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([1.0, 1.0], derived[1].GetProperty("fromLevels").EnumerateArray().Select(v => v.GetDouble()));
        // The bundle reads back with those anchors.
        Assert.Equal(anchors.Anchors.Select(a => a.Quality), ModelBundle.Load(folder.Combine("b")).Manifest.Rate!.Anchors.Select(a => a.Quality));
    }

    [Fact]
    public void ReexportingTheShippedDefaultModel_IsByteIdentical()
    {
        // Equal level sets keep the exporter's output exactly as it was: the embedded default model exports to its own bytes.
        var shipped = Path.Combine(RepositoryRoot(), "src", "Compass.Onnx", "Models", "default.zip");
        var name = ModelBundle.Load(shipped).Manifest.Name;
        using var folder = new TempDir();
        var (code, _, err) = Run("export", "--checkpoint", shipped, "--out", folder.Combine("b"), "--zip", "--name", name, "--preset", "compact");
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(shipped), File.ReadAllBytes(folder.Combine("b") + ".zip"));
    }

    [Fact]
    public void BelowQualityOne_FromTrainingToTheRuntime_CodesFewerBytesAtLowerQualities()
    {
        // The shipped model's base codec (levels 1..8) grown to 0.5, 1, 2 for two steps, then exported with the shipped
        // residual codec and LIFF (levels 1..8: the union is 0.5, 1..8), then coded by the real runtime.
        var shipped = Path.Combine(RepositoryRoot(), "src", "Compass.Onnx", "Models", "default.zip");
        using var data = TestImages.Folder(2, 40, 40);
        using var run = new TempDir();
        var (code, _, err) = Run("train", "--stage", "bl", "--preset", "compact", "--quality", "1", "--variable-rate", "0.5,1-2",
            "--init", $"base={shipped}", "--crop", "32", "--batch", "1", "--threads", "1", "--steps", "2",
            "--data", data.Path, "--val", data.Path, "--val-count", "1", "--val-crop", "32", "--out", run.Path);
        Assert.True(code == 0, err);
        var weightsPath = Path.Combine(run.Path, "model-f16.weights");
        var validation = ModelCard.Load(Path.ChangeExtension(weightsPath, ".card.json")).Header.Validation!;
        Assert.True(validation["bpp_q0.5"] < validation["bpp_q1"], $"{validation["bpp_q0.5"]} vs {validation["bpp_q1"]}");
        Assert.Equal("variable-rate=0.5,1,2", ModelCard.Load(Path.ChangeExtension(weightsPath, ".card.json")).Header.Run.Variant);

        var bundle = Path.Combine(run.Path, "bundle");
        (code, var output, err) = Run("export", "--checkpoint", weightsPath, "--take", $"residual={shipped}", "--take", $"liff={shipped}", "--out", bundle, "--zip");
        Assert.True(code == 0, err);
        Assert.Contains("qualities 0.5..8", output);
        var manifest = ModelBundle.Load(bundle + ".zip").Manifest;
        Assert.Equal([0.5, 1, 2, 3, 4, 5, 6, 7, 8], manifest.Rate!.Anchors.Select(a => a.Quality));
        Assert.Contains("derivedRateLevels", manifest.Card!.Value.GetRawText());

        using var model = OnnxCompassModel.Load(bundle + ".zip", new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1, InterOpThreads = 1 });
        using var image = SmoothImage(96, 64);
        var plan = LayerPlan.Parse("48x32,96x64");
        long Bytes(double quality)
        {
            using var stream = new MemoryStream();
            new ScalableEncoder(model).Encode(image, plan, stream, new EncodeOptions { Quality = new Quality(quality) });
            using var decoded = new ScalableDecoder(model).Decode(stream.ToArray());
            Assert.Equal(quality, decoded.Header.Quality.Value);
            return stream.Length;
        }
        long half = Bytes(0.5), threeQuarters = Bytes(0.75), one = Bytes(1);
        Assert.True(half < threeQuarters && threeQuarters < one, $"bytes at q0.5 {half}, q0.75 {threeQuarters}, q1 {one}");
    }

    private static Image<Rgb24> SmoothImage(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(128 + (100 * Math.Sin(x / 9.0))), (byte)(128 + (90 * Math.Cos((x + y) / 14.0))), (byte)(255 * y / height));
        return image;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Compass.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (Compass.sln) is not above the test assembly.");
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
