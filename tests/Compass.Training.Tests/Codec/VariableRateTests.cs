using Compass.Testing;
using Compass.Training.Export;
using Compass.Training.Modules;
using Compass.Training.Objectives;
using Compass.Training.Tests.Data;
using Compass.Training.Tests.Objectives;
using Compass.Training.Training;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Codec;

/// <summary>The variable-rate base codec (docs/method.md#variable-rate): learned steps, folding a level, training and init.</summary>
public sealed class VariableRateTests
{
    private static MeanScaleHyperprior Codec(long seed = 3)
    {
        manual_seed(seed);
        var codec = new MeanScaleHyperprior(8, 8, [1, 2, 3, 4], 3);
        using (no_grad()) codec.state_dict()[MeanScaleHyperprior.RateLogStepsKey].copy_(tensor(new[] { 0.8f, 0.35f, 0f, -0.45f }));
        codec.eval();
        return codec;
    }

    private static Tensor Image(int h = 48, int w = 40)
    {
        manual_seed(9);
        var yy = linspace(0, 1, h).view(1, 1, h, 1);
        var xx = linspace(0, 1, w).view(1, 1, 1, w);
        return (cat([(yy * 3 + xx * 2).sin(), (xx * 5).cos() * yy, yy * xx], 1) * 0.4 + 0.5 + rand(1, 3, h, w) * 0.05).clamp(0, 1);
    }

    private static double Bits(CodecForwardResult r) => -(r.YLikelihoods.log2().sum() + r.ZLikelihoods.log2().sum()).item<float>();

    [Fact]
    public void InitialStepsKeepLambdaTimesStepSquaredConstant_AndTheReferenceLevelIsStepOne()
    {
        using var codec = new MeanScaleHyperprior(8, 8, [1, 2, 3, 4], 3);
        var steps = codec.RateSteps();
        Assert.Equal(1.0, steps[2], 6);
        for (int i = 0; i < 4; i++)
            Assert.Equal(RateLadder.LambdaOf(3), RateLadder.LambdaOf(i + 1) * steps[i] * steps[i], 1e-6);
        Assert.True(codec.IsVariableRate);
        Assert.Contains(MeanScaleHyperprior.RateLogStepsKey, codec.state_dict().Keys);
        Assert.Contains(MeanScaleHyperprior.RateQualitiesKey, codec.state_dict().Keys);
        using var plain = new MeanScaleHyperprior(8, 8);
        Assert.False(plain.IsVariableRate);
        Assert.DoesNotContain(plain.state_dict().Keys, k => k.StartsWith("rate_", StringComparison.Ordinal));
    }

    [Fact]
    public void AFoldedLevelCodesExactlyLikeThatLevel()
    {
        using var codec = Codec();
        using var x = Image();
        foreach (var quality in new[] { 1, 4 })
        {
            using var level = codec.Forward(x, training: false, quality);
            using var folded = codec.FoldRateLevel(quality);
            Assert.False(folded.IsVariableRate);
            using var plain = folded.Forward(x, training: false);
            // Same symbols up to float rounding at a few boundaries: same bits and the same picture.
            Assert.Equal(Bits(level), Bits(plain), Bits(level) * 0.01);
            Assert.True((level.XHat - plain.XHat).abs().mean().item<float>() < 1e-3);
            Assert.True(level.Means.allclose(plain.Means, rtol: 1e-3, atol: 1e-4));
        }
        // The step matters: a coarser level spends fewer bits.
        using var coarse = codec.Forward(x, training: false, 1);
        using var fine = codec.Forward(x, training: false, 4);
        Assert.True(Bits(coarse) < Bits(fine), $"{Bits(coarse)} vs {Bits(fine)}");
    }

    [Fact]
    public void AVariableRateCodecNeedsALevel_AndABundleNeedsAFoldedOne()
    {
        using var codec = Codec();
        using var x = Image(32, 32);
        Assert.Throws<InvalidOperationException>(() => codec.Forward(x, training: false).Dispose());
        var e = Assert.Throws<ArgumentException>(() => codec.Forward(x, training: false, 6).Dispose());
        Assert.Contains("qualities 1, 2, 3, 4", e.Message);
        Assert.Throws<ArgumentException>(() => codec.FoldRateLevel(7));
        Assert.Throws<ArgumentException>(() => new MeanScaleHyperprior(8, 8, [1, 2], 3));
        Assert.Throws<ArgumentException>(() => new MeanScaleHyperprior(8, 8, [2, 2], 2));

        using var liff = new Modules.Liff(ObjectiveTestUtil.Tiny.Liff);
        using var residual = new MeanScaleHyperprior(8, 8);
        using var folder = new TempDir();
        e = Assert.Throws<ArgumentException>(() => { BundleExporter.Export(codec, liff, residual, new BundleExportOptions { Name = "t", Preset = "tiny", Quality = 1 }, folder.Path); });
        Assert.Contains("FoldRateLevel", e.Message);
    }

    [Fact]
    public void TrainingDrawsEveryLevelFromTheStep_AndValidationReportsEachLevel()
    {
        manual_seed(1);
        using var objective = new BaseLayerObjective(new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3, 4], 3), RateLadder.LambdaOf(3));
        Assert.Equal(3, objective.ReferenceQuality);
        var drawn = Enumerable.Range(0, 200).Select(s => objective.QualityAtStep(s)).ToList();
        Assert.Equal([1, 2, 3, 4], drawn.Distinct().Order());
        Assert.Equal(drawn, Enumerable.Range(0, 200).Select(s => objective.QualityAtStep(s))); // resumable: a function of the step

        using var batch = ObjectiveTestUtil.Batch((32, 32));
        var result = objective.ComputeLoss(batch, step: 5);
        result.Loss.backward();
        var steps = objective.Network.Base.named_parameters().Single(p => p.name == MeanScaleHyperprior.RateLogStepsKey).parameter;
        Assert.NotNull(steps.grad);
        Assert.True(steps.grad!.abs().sum().item<float>() > 0, "the learned steps get a gradient");
        result.Loss.Dispose();

        objective.Network.eval();
        var metrics = objective.Evaluate(batch);
        foreach (var q in new[] { 1, 2, 3, 4 })
        {
            Assert.True(metrics.ContainsKey($"bpp_q{q}") && metrics.ContainsKey($"psnr_q{q}"), q.ToString());
        }
        Assert.Equal(metrics["bpp_q3"], metrics["bpp"]);
        Assert.Throws<ArgumentException>(() => new BaseLayerObjective(new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2], 1), RateLadder.LambdaOf(3)));
    }

    [Fact]
    public void ASingleRateModelStartsTheReferenceLevel_AndAVariableRateOneCannotStartASingleRateCodec()
    {
        using var folder = new TempDir();
        using var single = ObjectiveTestUtil.Network(seed: 11);
        var singlePath = folder.Combine("single-f16.weights");
        CompactWeights.Export(single, singlePath);

        manual_seed(22);
        using var vbr = new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3, 4], 3);
        var stepsBefore = vbr.Base.RateSteps();
        WeightInitializer.Load(vbr, ["base"], singlePath);
        Assert.Equal(stepsBefore, vbr.Base.RateSteps());
        var target = vbr.Base.state_dict();
        foreach (var (name, t) in single.Base.state_dict())
            Assert.True(target[name].allclose(t, rtol: 2e-3, atol: 1e-4), name);

        var vbrPath = folder.Combine("vbr-f16.weights");
        CompactWeights.Export(vbr, vbrPath);
        using var weights = CompassWeights.Load(vbrPath);
        Assert.Equal([1, 2, 3, 4], weights.BaseCodec.RateQualities);
        Assert.False(weights.ResidualCodec.IsVariableRate);
        for (int i = 0; i < 4; i++) Assert.Equal(stepsBefore[i], weights.BaseCodec.RateSteps()[i], 2);

        using var other = ObjectiveTestUtil.Network(seed: 33);
        var e = Assert.Throws<CompassFormatException>(() => WeightInitializer.Load(other, ["base"], vbrPath));
        Assert.Contains("variable-rate", e.Message);
        using var otherLevels = new CompassNetwork(ObjectiveTestUtil.Tiny, [2, 3, 4, 5], 3);
        e = Assert.Throws<CompassFormatException>(() => WeightInitializer.Load(otherLevels, ["base"], vbrPath));
        Assert.Contains("other rate levels", e.Message);
    }

    [Fact]
    public void TheResidualCodecTrainsEveryLevel_WithThatLevelsLambda()
    {
        manual_seed(2);
        using var objective = new ResidualObjective(new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3, 4], [1, 2, 3, 4], 3), RateLadder.LambdaOf(3));
        Assert.Equal([1, 2, 3, 4], objective.RateLevels);
        Assert.Equal(3, objective.ReferenceQuality);
        // The residual codec starts from the same rule as the base codec: lambda * step^2 constant, the reference at step 1.
        var steps = objective.Network.Residual.RateSteps();
        for (int i = 0; i < 4; i++)
            Assert.Equal(RateLadder.LambdaOf(3), RateLadder.LambdaOf(i + 1) * steps[i] * steps[i], 1e-6);

        using var batch = ObjectiveTestUtil.Batch((16, 16), (24, 24), (32, 32));
        long step = Enumerable.Range(0, 50).First(s => objective.QualityAtStep(s) == 1);
        var result = objective.ComputeLoss(batch, step);
        result.Loss.backward();
        var logSteps = objective.Network.Residual.named_parameters().Single(p => p.name == MeanScaleHyperprior.RateLogStepsKey).parameter;
        var grad = logSteps.grad!.data<float>().ToArray();
        // Only the drawn level's step is used, so only it gets a gradient.
        Assert.NotEqual(0f, grad[0]);
        Assert.Equal([0f, 0f, 0f], grad[1..]);
        result.Loss.Dispose();

        objective.Network.eval();
        var metrics = objective.Evaluate(batch);
        foreach (var q in new[] { 1, 2, 3, 4 }) Assert.True(metrics.ContainsKey($"bpp_q{q}") && metrics.ContainsKey($"psnr_q{q}"), q.ToString());
        Assert.Equal(metrics["bpp_q3"], metrics["bpp"]);
        // Coarser levels spend fewer bits on the same residuals (the initial steps differ by sqrt(lambda ratio)).
        Assert.True(metrics["bpp_q1"] < metrics["bpp_q4"], $"{metrics["bpp_q1"]} vs {metrics["bpp_q4"]}");
    }

    [Fact]
    public void JointTraining_OneQualityPerBatchSetsTheFrozenBaseCodecsStepAndTheResidualCodecs()
    {
        manual_seed(4);
        using var objective = new JointObjective(new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3, 4], [1, 2, 3, 4], 2), RateLadder.LambdaOf(2));
        Assert.Equal(2, objective.ReferenceQuality);
        using var batch = ObjectiveTestUtil.Batch((16, 16), (24, 24), (32, 32));
        objective.Network.eval();
        // Steps far apart, so that the untrained codecs' rates differ clearly between levels 1 and 4.
        using (no_grad())
        {
            foreach (var codec in new[] { objective.Network.Base, objective.Network.Residual })
                codec.state_dict()[MeanScaleHyperprior.RateLogStepsKey].copy_(tensor(new[] { 2.5f, 0f, -1f, -2.5f }));
        }
        using (var coarse = objective.Network.Forward(batch.Layers, training: false, 1))
        using (var fine = objective.Network.Forward(batch.Layers, training: false, 4))
        {
            Assert.True(coarse.Layers[0].Rate.item<float>() < fine.Layers[0].Rate.item<float>(), "the base layer codes at the drawn level");
            Assert.True(coarse.Layers[2].Rate.item<float>() < fine.Layers[2].Rate.item<float>(), "so does the residual codec");
        }
        Assert.Throws<InvalidOperationException>(() => objective.Network.Forward(batch.Layers, training: false).Dispose());

        objective.Network.train();
        var result = objective.ComputeLoss(batch, step: 7);
        result.Loss.backward();
        Assert.All(objective.Network.Base.parameters(), p => Assert.Null(p.grad));
        var residualSteps = objective.Network.Residual.named_parameters().Single(p => p.name == MeanScaleHyperprior.RateLogStepsKey).parameter;
        Assert.True(residualSteps.grad!.abs().sum().item<float>() > 0);
        result.Loss.Dispose();

        var metrics = objective.Evaluate(batch);
        foreach (var q in new[] { 1, 2, 3, 4 }) Assert.True(metrics.ContainsKey($"psnr_q{q}"), q.ToString());
        Assert.Throws<ArgumentException>(() => new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3], [1, 2, 3, 4], 2));
    }

    [Fact]
    public void ASingleRateCodecLoadedIntoAVariableRateOneTakesTheRulesStepsFromItsOwnLambda()
    {
        using var folder = new TempDir();
        using var single = ObjectiveTestUtil.Network(seed: 12);
        var path = folder.Combine("q2-f16.weights");
        CompactWeights.Export(single, path);
        // The run's card says it trained at quality 2; the variable-rate model's reference is quality 3.
        File.WriteAllText(Path.ChangeExtension(path, ".card.json"), ModelCard.From(new CheckpointHeader
        {
            Run = new RunDescription { Stage = TrainingStage.Residual, Preset = "tiny", Lambda = RateLadder.LambdaOf(2), Quality = 2 },
        }).ToJson());

        using var vbr = new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3, 4], [1, 2, 3, 4], 3);
        WeightInitializer.Load(vbr, ["residual"], path);
        var logSteps = vbr.Residual.RateLogSteps();
        for (int q = 1; q <= 4; q++)
            Assert.Equal(MeanScaleHyperprior.RuleLogStep(RateLadder.LambdaOf(2), q), logSteps[q - 1]);
        Assert.Equal(0f, logSteps[1]); // quality 2 is the source itself
        // The base codec was not loaded: it keeps the reference's rule.
        Assert.Equal(0f, vbr.Base.RateLogSteps()[2]);
    }
}
