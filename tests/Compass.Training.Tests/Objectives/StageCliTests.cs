using Compass.Testing;
using Compass.Training.Cli;
using Compass.Training.Export;
using Compass.Training.Objectives;
using Compass.Training.Tests.Data;
using Compass.Training.Training;

namespace Compass.Training.Tests.Objectives;

[Collection(TorchGlobalState.Name)]
public sealed class StageCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => TrainCliProcess.Run(args);

    [Fact]
    public void BaseLayerResultInitialisesAFrozenJointRun()
    {
        using var data = TestImages.Folder(2, 40, 40);
        using var bl = new TempDir();
        using var joint = new TempDir();
        string[] common = ["train", "--preset", "compact", "--quality", "3", "--crop", "32", "--batch", "1", "--data", data.Path, "--log-every", "1"];

        var (code, _, err) = Run([.. common, "--stage", "bl", "--steps", "2", "--out", bl.Path]);
        Assert.True(code == 0, err);
        var weights = Path.Combine(bl.Path, "model-f16.weights");
        Assert.Equal(TrainingStage.BaseLayer, WeightInitializer.StageOf(weights));

        (code, _, err) = Run([.. common, "--stage", "joint", "--steps", "1", "--out", joint.Path, "--init", weights]);
        Assert.True(code == 0, err);

        // The joint result carries the BL it was given, unchanged (up to float16 storage), and all three children.
        var fromBl = CompactWeights.Read(weights);
        var fromJoint = CompactWeights.Read(Path.Combine(joint.Path, "model-f16.weights"));
        Assert.Contains(fromJoint.Keys, k => k.StartsWith("liff.", StringComparison.Ordinal));
        Assert.Contains(fromJoint.Keys, k => k.StartsWith("residual.", StringComparison.Ordinal));
        foreach (var key in fromBl.Keys.Where(k => k.StartsWith("base.", StringComparison.Ordinal)))
            Assert.True(fromJoint[key].allclose(fromBl[key], rtol: 0, atol: 0), key);
    }

    [Fact]
    public void LiffInputAuto_IsDecodedWhenATrainedBaseLayerIsLoaded_CleanOtherwise()
    {
        using var data = TestImages.Folder(2, 40, 40);
        using var bl = new TempDir();
        string[] common = ["train", "--preset", "slim", "--quality", "3", "--crop", "32", "--batch", "1", "--data", data.Path, "--log-every", "1"];
        var (code, _, err) = Run([.. common, "--stage", "bl", "--steps", "1", "--out", bl.Path]);
        Assert.True(code == 0, err);
        var weights = Path.Combine(bl.Path, "model-f16.weights");

        string? VariantOf(params string[] extra)
        {
            using var liff = new TempDir();
            var (c, _, e) = Run([.. common, "--stage", "liff", "--steps", "1", "--out", liff.Path, .. extra]);
            Assert.True(c == 0, e);
            return ModelCard.Load(Path.Combine(liff.Path, "model-f16.card.json")).Header.Run.Variant;
        }

        Assert.Equal("liff-input=decoded", VariantOf("--init", $"base={weights}"));
        Assert.Equal("liff-input=decoded", VariantOf("--init", weights)); // a bl output initialises the base layer
        Assert.Null(VariantOf());
        Assert.Null(VariantOf("--init", $"base={weights}", "--liff-input", "clean"));
    }

    [Theory]
    [InlineData("bl", 8, 128)]
    [InlineData("residual", 8, 128)]
    [InlineData("liff", 4, 96)]
    public void CropAndBatchDefaultPerStage(string stage, int batch, int crop)
    {
        using var data = TestImages.Folder(1, 130, 130);
        using var outDir = new TempDir();
        var (code, _, err) = Run("train", "--stage", stage, "--preset", "slim", "--quality", "3", "--steps", "1", "--data", data.Path, "--out", outDir.Path);
        Assert.True(code == 0, err);
        var card = ModelCard.Load(Path.Combine(outDir.Path, "model-f16.card.json"));
        Assert.Equal((batch, crop), (card.Header.Run.BatchSize, card.Header.Run.CropSize));
    }

    [Fact]
    public void VariableRateBaseLayer_TrainsExportsOneLevelAndResumesOnlyAsItself()
    {
        using var data = TestImages.Folder(2, 40, 40);
        using var bl = new TempDir();
        string[] common = ["train", "--stage", "bl", "--preset", "slim", "--crop", "32", "--batch", "1", "--data", data.Path, "--out", bl.Path, "--log-every", "1"];

        var (code, _, err) = Run([.. common, "--quality", "3", "--variable-rate", "1-3", "--steps", "2"]);
        Assert.True(code == 0, err);
        var weightsPath = Path.Combine(bl.Path, "model-f16.weights");
        using (var weights = CompassWeights.Load(weightsPath))
            Assert.Equal([1, 2, 3], weights.BaseCodec.RateQualities);

        var bundle = Path.Combine(bl.Path, "q2");
        (code, _, err) = Run("export", "--checkpoint", weightsPath, "--out", bundle, "--preset", "slim");
        Assert.Equal(2, code);
        Assert.Contains("--level", err);
        (code, _, err) = Run("export", "--checkpoint", weightsPath, "--out", bundle, "--preset", "slim", "--level", "5");
        Assert.Equal(2, code);
        Assert.Contains("qualities 1, 2, 3", err);
        (code, _, err) = Run("export", "--checkpoint", weightsPath, "--out", bundle, "--preset", "slim", "--level", "2");
        Assert.True(code == 0, err);
        var manifest = Bundles.ModelBundle.Load(bundle).Manifest;
        Assert.Equal([2], manifest.Qualities);
        Assert.Equal([0.0035], manifest.Lambdas);

        // The same folder without --variable-rate is another objective: refused, not silently mixed.
        (code, _, err) = Run([.. common, "--quality", "3", "--steps", "3", "--resume"]);
        Assert.NotEqual(0, code);
        Assert.Contains("variable-rate=1,2,3", err);
    }

    [Fact]
    public void VariableRateResidualAndJoint_TrainFromTheStageOutputs_AndResume()
    {
        using var data = TestImages.Folder(2, 40, 40);
        using var bl = new TempDir();
        using var residual = new TempDir();
        using var joint = new TempDir();
        string[] rate = ["--preset", "slim", "--quality", "3", "--variable-rate", "1-3", "--crop", "32", "--batch", "1", "--data", data.Path];
        var (code, _, err) = Run(["train", "--stage", "bl", .. rate, "--steps", "1", "--out", bl.Path]);
        Assert.True(code == 0, err);
        var blWeights = Path.Combine(bl.Path, "model-f16.weights");
        // The residual codec starts from the trained base codec (same levels, so its learned steps come along).
        (code, _, err) = Run(["train", "--stage", "residual", .. rate, "--steps", "1", "--out", residual.Path, "--init", $"residual:base={blWeights}"]);
        Assert.True(code == 0, err);
        var residualWeights = Path.Combine(residual.Path, "model-f16.weights");
        (code, _, err) = Run(["train", "--stage", "joint", .. rate, "--steps", "2", "--out", joint.Path, "--init", blWeights, "--init", residualWeights]);
        Assert.True(code == 0, err);
        var jointWeights = Path.Combine(joint.Path, "model-f16.weights");
        using (var weights = CompassWeights.Load(jointWeights))
        {
            Assert.Equal([1, 2, 3], weights.BaseCodec.RateQualities);
            Assert.Equal([1, 2, 3], weights.ResidualCodec.RateQualities);
        }
        var card = ModelCard.Load(Path.ChangeExtension(jointWeights, ".card.json"));
        Assert.Equal("variable-rate=1,2,3", card.Header.Run.Variant);
        (code, _, err) = Run(["train", "--stage", "joint", .. rate, "--steps", "3", "--out", joint.Path, "--resume"]);
        Assert.True(code == 0, err);
        Assert.Equal(3, ModelCard.Load(Path.ChangeExtension(jointWeights, ".card.json")).Header.Step);
        // The same run continued from its weights and card alone (checkpoints gone, e.g. on a new machine).
        using var moved = new TempDir();
        (code, _, err) = Run(["train", "--stage", "joint", .. rate, "--steps", "4", "--out", moved.Path, "--resume-weights", jointWeights]);
        Assert.True(code == 0, err);

        // The whole model as one format-2 bundle; the bundle alone then continues the run (its card is in the manifest)
        // and starts another one: the weights are kept once, in the bundle.
        var bundle = Path.Combine(joint.Path, "bundle");
        (code, var output, err) = Run("export", "--checkpoint", jointWeights, "--out", bundle, "--zip");
        Assert.True(code == 0, err);
        Assert.Contains("variable-rate bundle", output);
        var manifest = Bundles.ModelBundle.Load(bundle + ".zip").Manifest;
        Assert.Equal([1.0, 2, 3], manifest.Rate!.Anchors.Select(a => a.Quality));
        using var fromBundle = new TempDir();
        (code, _, err) = Run(["train", "--stage", "joint", .. rate, "--steps", "4", "--out", fromBundle.Path, "--resume-weights", bundle + ".zip"]);
        Assert.True(code == 0, err);
        using var initBundle = new TempDir();
        (code, _, err) = Run(["train", "--stage", "joint", .. rate, "--steps", "1", "--out", initBundle.Path, "--init", bundle]);
        Assert.True(code == 0, err);
        // The bl run's model has a single-rate residual codec: a whole bundle needs the rule's steps for it, asked for.
        (code, _, err) = Run("export", "--checkpoint", blWeights, "--out", Path.Combine(bl.Path, "vr"));
        Assert.Equal(2, code);
        Assert.Contains("--derive-steps", err);
        (code, _, err) = Run("export", "--checkpoint", blWeights, "--out", Path.Combine(bl.Path, "vr"), "--derive-steps", "3");
        Assert.True(code == 0, err);
        Assert.Equal(3, Bundles.ModelBundle.Load(Path.Combine(bl.Path, "vr")).Manifest.Card!.Value.GetProperty("derivedRateSteps").GetProperty("trainedAtQuality").GetInt32());

        // A variable-rate base layer cannot be frozen into a single-rate joint run: refused with the reason.
        using var single = new TempDir();
        (code, _, err) = Run("train", "--stage", "joint", "--preset", "slim", "--quality", "3", "--crop", "32", "--batch", "1", "--data", data.Path,
            "--steps", "1", "--out", single.Path, "--init", blWeights);
        Assert.NotEqual(0, code);
        Assert.Contains("variable-rate", err);
    }

    [Theory]
    [InlineData("smoke", "--quality", "3", "1-4", "COMPASS stages")]
    [InlineData("bl", "--quality", "3", "3,1", "increasing order")]
    [InlineData("bl", "--quality", "5", "1-4", "not one of the --variable-rate levels")]
    [InlineData("bl", "--lambda", "0.0067", "1-4", "needs --quality")]
    [InlineData("bl", "--quality", "3", "3", "at least two")]
    [InlineData("bl", "--quality", "3", "1-9", "whole qualities 1..8")]
    [InlineData("bl", "--quality", "3", "a,b", "not a quality")]
    [InlineData("bl", "--quality", "3", "0.1,1-4", "multiples of 1/256")]
    [InlineData("bl", "--quality", "3", "0,1-4", "Quality 0 cannot be a rate level")]
    [InlineData("bl", "--quality", "3", "1-4,8.5", "from 1/256 to 8")]
    [InlineData("bl", "--quality", "3", "0.5-4", "give fractional qualities one by one")]
    [InlineData("bl", "--quality", "3", "-1,1-4", "not a quality")]
    [InlineData("bl", "--quality", "3", "1,0.5,2,3", "increasing order")]
    [InlineData("bl", "--quality", "1", "0.25,0.5,2-4", "--quality 1 is not one of the --variable-rate levels (0.25, 0.5, 2, 3, 4)")]
    public void VariableRateOptionsAreValidated(string stage, string rateOption, string rateValue, string levels, string message)
    {
        using var data = TestImages.Folder(1, 40, 40);
        using var outDir = new TempDir();
        var (code, _, err) = Run("train", "--stage", stage, rateOption, rateValue, "--variable-rate", levels, "--steps", "1", "--data", data.Path, "--out", outDir.Path);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }
}
