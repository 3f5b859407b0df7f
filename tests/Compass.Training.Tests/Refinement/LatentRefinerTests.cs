using System.Text.Json;
using Compass.Testing;
using Compass.Training.Export;
using Compass.Training.Modules;
using Compass.Training.Objectives;
using Compass.Training.Refinement;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Refinement;

/// <summary>Encoder effort (docs/encoder-effort.md) on the embedded default model's real weights and a Kodak crop.</summary>
public sealed class LatentRefinerTests
{
    private const int Quality = 3;

    private static string DefaultModel()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Compass.sln"))) return Path.Combine(dir.FullName, "src", "Compass.Onnx", "Models", "default.zip");
        throw new InvalidOperationException("The repository root (Compass.sln) is not above the test assembly.");
    }

    private static string Kodim01() => Path.Combine(SharedData.Kodak, "kodim01.png");

    [Fact]
    public void StepZero_IsTheCodecsOwnEvalForwardPass()
    {
        using var weights = CompassWeights.Load(DefaultModel());
        var codec = weights.BaseCodec;
        using var image = RefinementImage.Load(Kodim01(), crop: 64);
        float step = (float)codec.RateSteps()[codec.RateLevelOf(Quality)];
        double lambda = RateLadder.LambdaOf(Quality);
        using var refiner = new LatentRefiner(codec, step, lambda);
        var (y, z) = refiner.Analyze(image);
        LatentEvaluation mine;
        using (y)
        using (z)
            mine = refiner.Evaluate(image, y, z);

        using var _ = no_grad();
        using var coded = codec.Forward(image, training: false, Quality);
        double bpp = CompassNetwork.Rate(coded, image).item<float>();
        double mse = CompassNetwork.MseOf(coded.XHat, image).item<float>();
        using var decoded = coded.XHat.clamp(0, 1).mul(255).round();
        using var original = image.mul(255).round();
        double mse8 = decoded.sub(original).square().to_type(ScalarType.Float64).mean().item<double>();
        // The same tensors through the same calls: only the float32 sums of y's and z's bits are added in another order
        // (separately, then in double), so 1e-6 relative is float32's rounding with room.
        Assert.Equal(bpp, mine.Bpp, bpp * 1e-6);
        Assert.Equal(bpp + (lambda * 255 * 255 * mse), mine.Loss, mine.Loss * 1e-6);
        Assert.Equal(10 * Math.Log10(255.0 * 255.0 / mse8), mine.Psnr, 1e-9);
        Assert.Equal(mine.Bpp, mine.BppY + mine.BppZ, 1e-12);
        Assert.True(mine.BppZ > 0 && mine.BppY > mine.BppZ, $"y {mine.BppY}, z {mine.BppZ} bpp");
    }

    [Fact]
    public void TwentySgaSteps_LowerTheLossOfTheHardQuantisedLatents()
    {
        using var weights = CompassWeights.Load(DefaultModel());
        var codec = weights.BaseCodec;
        using var image = RefinementImage.Load(Kodim01(), crop: 64);
        using var refiner = new LatentRefiner(codec, (float)codec.RateSteps()[codec.RateLevelOf(Quality)], RateLadder.LambdaOf(Quality));
        int threads = get_num_threads();
        IReadOnlyList<LatentEvaluation> results;
        try
        {
            set_num_threads(1);
            results = refiner.Refine(image, new RefinementOptions { Method = RefinementMethod.Sga, Steps = [5, 20], LearningRate = 1e-2, Seed = 1 });
        }
        finally
        {
            set_num_threads(threads);
        }
        Assert.Equal([0, 5, 20], results.Select(r => r.Steps));
        // Measured on this crop: the loss falls from 1.7716 to 1.7411 (-1.7%) in 20 SGA steps (0.5% already after 5 steps,
        // 2.4% after 50). A fall of at least 0.5% is far above float noise (1e-6 relative) and well inside what the
        // optimiser reaches, so the test fails only if the refinement stops helping. (Straight-through rounding is not
        // tested so: on this crop its loss rises after 20 steps at lr 1e-2, as Yang et al. report for STE.)
        double before = results[0].Loss, after = results[^1].Loss;
        Assert.True(after < before * 0.995, $"loss {before:F5} at step 0, {after:F5} after 20 steps");
        Assert.True(results[^1].Seconds > 0 && results[^1].Seconds >= results[1].Seconds);
    }

    [Fact]
    public void Quantize_SteRoundsWithAnIdentityGradient_SgaApproachesRoundingAsItCools()
    {
        using var r = tensor(new[] { -1.8f, -0.3f, 0.2f, 0.7f, 1.35f, 2.9f }).requires_grad_(true);
        using var generator = new Generator(7);
        using (var ste = LatentRefiner.Quantize(r, RefinementMethod.Ste, 1, generator))
        {
            Assert.Equal(new[] { -2f, 0f, 0f, 1f, 1f, 3f }, ste.detach().data<float>().ToArray());
            ste.sum().backward();
            Assert.All(r.grad!.data<float>().ToArray(), g => Assert.Equal(1f, g));
        }
        // Every fraction is at least 0.15 from a half: at temperature 1e-3 the logistic noise cannot flip a choice
        // (its logit gap is atanh-distance over 1e-6), so the soft value is the rounded one within 1e-4.
        using (var cold = LatentRefiner.Quantize(r, RefinementMethod.Sga, 1e-3, generator))
            Assert.All(cold.detach().data<float>().Zip(new[] { -2f, 0f, 0f, 1f, 1f, 3f }), p => Assert.Equal(p.Second, p.First, 1e-4));
        // Hot, the value is a mix: strictly between floor and ceiling for some element.
        using var hot = LatentRefiner.Quantize(r, RefinementMethod.Sga, 0.5, generator);
        var values = hot.detach().data<float>().ToArray();
        Assert.Contains(values, v => MathF.Abs(v - MathF.Round(v)) > 1e-3);
    }

    [Fact]
    public void RateCurve_InterpolatesInLogRate_AndIsNaNOutside()
    {
        var curve = new RateCurve([(0.5, 30.0), (0.25, 27.0), (1.0, 33.0)]);
        Assert.Equal(28.5, curve.PsnrAt(Math.Sqrt(0.25 * 0.5)), 1e-12);
        Assert.Equal(Math.Sqrt(0.5), curve.BppAt(31.5), 1e-12);
        Assert.Equal(33.0, curve.PsnrAt(1.0), 1e-12);
        Assert.True(double.IsNaN(curve.PsnrAt(1.1)));
        Assert.True(double.IsNaN(curve.BppAt(26.9)));
        Assert.Contains("increase", Assert.Throws<ArgumentException>(() => new RateCurve([(0.5, 30.0), (1.0, 29.0)])).Message);
        Assert.Throws<ArgumentException>(() => new RateCurve([(0.5, 30.0)]));
    }

    [Fact]
    public void LevelSteps_AreTheRuntimesQ16StepsOfTheBundlesAnchors()
    {
        var steps = LevelSteps.FromBundle(DefaultModel());
        // The expected values come from the manifest's anchors (docs/model-bundle.md#format-2-variable-rate), read here
        // without the code under test, so the test follows the embedded model when it changes.
        using var zip = System.IO.Compression.ZipFile.OpenRead(DefaultModel());
        using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
        var anchors = manifest.RootElement.GetProperty("rate").GetProperty("anchors").EnumerateArray()
            .ToDictionary(a => a.GetProperty("quality").GetDouble(), a => a.GetProperty("baseLogStep").GetDouble());
        Assert.Equal(anchors.Keys.Min(), steps.QualityMin);
        Assert.Equal(anchors.Keys.Max(), steps.QualityMax);
        static float Q16(double logStep) => (float)(Math.Round(Math.Exp(logStep) * 65536, MidpointRounding.AwayFromZero) / 65536);
        Assert.Equal(Q16(anchors[3]), steps.StepAt(3));
        // Halfway between anchors 3 and 4 the log-step is their mean, rounded once to Q16 as the runtime does.
        Assert.Equal(Q16((anchors[3] + anchors[4]) / 2), steps.StepAt(3.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => steps.StepAt(steps.QualityMax + 0.5));
    }

    [Fact]
    public void RefineCommand_WritesEveryPointAndTheReferenceCurve()
    {
        var json = Path.Combine(Path.GetTempPath(), $"refine-{Guid.NewGuid():N}.json");
        try
        {
            var (code, output, error) = TrainCliProcess.Run("refine", "--model", DefaultModel(), "--images", Kodim01(), "--crop", "48",
                "--steps", "1,2", "--method", "ste,sga", "--curve", "-0.5,0.5", "--json", json);
            Assert.True(code == 0, error);
            Assert.Contains("means over 1 image(s)", output);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
            // none, ste at 1 and 2, sga at 1 and 2, and the curve row.
            Assert.Equal(["none", "ste", "ste", "sga", "sga", "curve"], rows.Select(r => r.GetProperty("method").GetString()));
            Assert.Equal(3, rows[^1].GetProperty("curve").GetArrayLength());
            Assert.Equal(0.0, rows[0].GetProperty("gainDb").GetDouble(), 1e-9);
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Theory]
    [InlineData("--quality", "9", "--quality")]
    [InlineData("--steps", "50,10", "--steps")]
    [InlineData("--method", "adam", "--method")]
    public void RefineCommand_RefusesBadArguments(string option, string value, string named)
    {
        var (code, _, error) = TrainCliProcess.Run("refine", "--model", DefaultModel(), "--images", Kodim01(), option, value);
        Assert.Equal(2, code);
        Assert.Contains(named, error);
    }
}
