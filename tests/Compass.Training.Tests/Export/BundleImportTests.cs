using System.Text.Json;
using Compass.Bundles;
using Compass.Testing;
using Compass.Training.Export;
using Compass.Training.Import;
using Compass.Training.Modules;
using Compass.Training.Objectives;
using Compass.Training.Tests.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Export;

/// <summary>
/// Weights stored once (docs/model-bundle.md#training-state): a bundle written by the exporter reads back into the very
/// state dict it was written from, bit for bit, and the modules built from it compute the same outputs.
/// </summary>
public sealed class BundleImportTests
{
    /// <summary>A network with weights away from their initial values, including GDN values the graphs cannot carry exactly.</summary>
    private static CompassNetwork Trainedish(CompassNetwork network, long seed)
    {
        manual_seed(seed);
        using var _ = no_grad();
        foreach (var (name, p) in network.named_parameters())
        {
            if (name.EndsWith(MeanScaleHyperprior.RateLogStepsKey, StringComparison.Ordinal)) continue;
            p.add_(randn_like(p).mul_(0.01f));
        }
        // Stored GDN values below their bound (the forward clamps them, so the graph holds the bound): only the
        // training-state file can give them back.
        foreach (var gdn in network.modules().OfType<Gdn>())
        {
            gdn.StoredGamma[0, 1] = 1e-7f;
            gdn.StoredBeta[0] = Gdn.BetaBound / 2;
        }
        return network;
    }

    private static Dictionary<string, Tensor> Truth(CompassNetwork network) => Truth(network.Base, network.Liff, network.Residual);

    private static Dictionary<string, Tensor> Truth(CompassWeights weights) => Truth(weights.BaseCodec, weights.Liff, weights.ResidualCodec);

    // The modules' own state dicts (a child inside a parent also lists aliases of its private fields, "_sfe1.weight").
    private static Dictionary<string, Tensor> Truth(MeanScaleHyperprior baseCodec, Modules.Liff liff, MeanScaleHyperprior residual) =>
        baseCodec.state_dict().Select(kv => ("base." + kv.Key, kv.Value))
            .Concat(liff.state_dict().Select(kv => ("liff." + kv.Key, kv.Value)))
            .Concat(residual.state_dict().Select(kv => ("residual." + kv.Key, kv.Value)))
            .Where(kv => !kv.Item1.Split('.')[1..^1].Any(part => part.StartsWith('_')))
            .ToDictionary(kv => kv.Item1, kv => kv.Item2, StringComparer.Ordinal);

    private static void AssertBitIdentical(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, e) in expected)
        {
            var a = actual[key];
            Assert.Equal(e.shape, a.shape);
            var ev = e.detach().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
            var av = a.detach().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
            // Exact: every value either maps back bit for bit or is patched from the training-state file.
            Assert.True(ev.Select(BitConverter.SingleToInt32Bits).SequenceEqual(av.Select(BitConverter.SingleToInt32Bits)), key);
        }
    }

    [Fact]
    public void ASingleRateBundleReadsBackTheExactStateDict_AndTheSameOutputs()
    {
        using var folder = new TempDir();
        using var network = Trainedish(ObjectiveTestUtil.Network(seed: 5), seed: 6);
        var bundle = folder.Combine("q3");
        var manifest = BundleExporter.Export(network.Base, network.Liff, network.Residual,
            new BundleExportOptions { Name = "t", Preset = "tiny", Quality = 3, Lambda = 0.0067, Zip = true }, bundle);
        Assert.Contains(TrainingStateFile.FileName, manifest.Files.Keys);
        Assert.Null(manifest.Rate);

        foreach (var path in new[] { bundle, bundle + ".zip" })
        {
            using var weights = CompassWeights.Load(path);
            AssertBitIdentical(Truth(network), Truth(weights));
        }

        // The same outputs: codecs at rounding, LIFF's prediction.
        using var imported = CompassWeights.Load(bundle);
        network.eval();
        using var batch = ObjectiveTestUtil.Batch((16, 16), (24, 24), (32, 32));
        using (var expected = network.Base.Forward(batch.Layers[2], training: false))
        using (var actual = imported.BaseCodec.Forward(batch.Layers[2], training: false))
        {
            Assert.True(expected.XHat.equal(actual.XHat).all().item<bool>());
            Assert.True(expected.YLikelihoods.equal(actual.YLikelihoods).all().item<bool>());
            Assert.True(expected.ZLikelihoods.equal(actual.ZLikelihoods).all().item<bool>());
        }
        using (var expected = network.Liff.Predict(batch.Layers[0], 24, 24))
        using (var actual = imported.Liff.Predict(batch.Layers[0], 24, 24))
            Assert.True(expected.equal(actual).all().item<bool>());
    }

    [Fact]
    public void AVariableRateModelIsOneFormat2Bundle_WithBothCodecsStepsAsAnchors_AndReadsBackExactly()
    {
        using var folder = new TempDir();
        manual_seed(8);
        using var network = Trainedish(new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3, 4], [1, 2, 3, 4], 3), seed: 9);
        using (no_grad())
        {
            network.Base.state_dict()[MeanScaleHyperprior.RateLogStepsKey].copy_(tensor(new[] { 0.61f, 0.3f, 0f, -0.31f }));
            network.Residual.state_dict()[MeanScaleHyperprior.RateLogStepsKey].copy_(tensor(new[] { 0.55f, 0.25f, 0.01f, -0.4f }));
        }
        var card = JsonDocument.Parse("""{"stage": "joint", "variant": "variable-rate=1,2,3,4"}""").RootElement;
        var bundle = folder.Combine("vr");
        var manifest = BundleExporter.Export(network.Base, network.Liff, network.Residual,
            new BundleExportOptions { Name = "vr", Preset = "tiny", Card = card }, bundle);

        // Read back as the runtime does.
        var loaded = ModelBundle.Load(bundle).Manifest;
        Assert.Equal(2, loaded.FormatVersion);
        var anchors = loaded.Rate!.Anchors;
        Assert.Equal([1.0, 2, 3, 4], anchors.Select(a => a.Quality));
        Assert.Equal([0.0018, 0.0035, 0.0067, 0.0130], anchors.Select(a => a.Lambda!.Value));
        Assert.Equal(network.Base.RateLogSteps().Select(v => (double)v), anchors.Select(a => a.BaseLogStep));
        Assert.Equal(network.Residual.RateLogSteps().Select(v => (double)v), anchors.Select(a => a.ResidualLogStep));
        Assert.Equal("joint", loaded.Card!.Value.GetProperty("stage").GetString());

        // The graphs are the networks at step 1: the same bytes as a single-rate codec with the same weights gives.
        using var atStepOne = network.Base.FoldRateLevel(3);
        Assert.Equal(CodecExporter.Analysis(atStepOne), ModelBundle.Load(bundle).GetBytes(BundleFiles.BasePrefix + BundleFiles.Analysis).ToArray());

        using var weights = CompassWeights.Load(bundle);
        Assert.Equal([1, 2, 3, 4], weights.BaseCodec.RateQualities);
        Assert.Equal([1, 2, 3, 4], weights.ResidualCodec.RateQualities);
        AssertBitIdentical(Truth(network), Truth(weights));
        Assert.Equal(manifest.Files[TrainingStateFile.FileName], loaded.Files[TrainingStateFile.FileName]);
    }

    [Fact]
    public void OneSingleRateCodec_GetsItsStepsByTheRuleOnlyWhenAsked_AndTheCardSaysSo()
    {
        using var folder = new TempDir();
        manual_seed(10);
        using var network = new CompassNetwork(ObjectiveTestUtil.Tiny, [1, 2, 3, 4, 5, 6], 3);
        var options = new BundleExportOptions { Name = "vr", Preset = "tiny" };
        var e = Assert.Throws<ArgumentException>(() => BundleExporter.Export(network.Base, network.Liff, network.Residual, options, folder.Combine("refused")));
        Assert.Contains("DeriveStepsFromQuality", e.Message);
        Assert.Contains("FoldRateLevel", e.Message);

        var manifest = BundleExporter.Export(network.Base, network.Liff, network.Residual, options with { DeriveStepsFromQuality = 2 }, folder.Combine("vr"));
        var anchors = manifest.Rate!.Anchors;
        for (int q = 1; q <= 6; q++)
        {
            Assert.Equal(0.5 * Math.Log(0.0035 / RateLadder.LambdaOf(q)), anchors[q - 1].ResidualLogStep, 6);
            Assert.Equal(network.Base.RateLogSteps()[q - 1], anchors[q - 1].BaseLogStep);
        }
        var derived = manifest.Card!.Value.GetProperty("derivedRateSteps");
        Assert.Equal("residual", derived.GetProperty("codec").GetString());
        Assert.Equal(2, derived.GetProperty("trainedAtQuality").GetInt32());

        // Single-rate networks need their quality.
        using var single = ObjectiveTestUtil.Network(seed: 3);
        Assert.Throws<ArgumentException>(() => BundleExporter.Export(single.Base, single.Liff, single.Residual, new BundleExportOptions { Name = "s", Preset = "tiny" }, folder.Combine("s")));
    }

    [Fact]
    public void ABundleWithoutTheTrainingState_OrWithADamagedOne_IsRefusedWithTheReason()
    {
        using var folder = new TempDir();
        using var network = ObjectiveTestUtil.Network(seed: 4);
        var bundle = folder.Combine("b");
        BundleExporter.Export(network.Base, network.Liff, network.Residual, new BundleExportOptions { Name = "t", Preset = "tiny", Quality = 2 }, bundle);
        var files = ModelBundle.Load(bundle).FileNames.ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(bundle, n)));
        var manifest = ModelBundle.Load(bundle).Manifest;

        // Without the file: the bundle still loads for the runtime, training cannot start from it.
        var stripped = folder.Combine("stripped");
        var without = files.Where(f => f.Key != TrainingStateFile.FileName).ToDictionary(f => f.Key, f => f.Value);
        ModelBundleWriter.WriteFolder(stripped, ModelBundleWriter.CreateManifest("t", "tiny", [2], [], without), without);
        var e = Assert.Throws<CompassFormatException>(() => CompassWeights.Load(stripped).Dispose());
        Assert.Contains(TrainingStateFile.FileName, e.Message);

        // A truncated file (re-hashed, so only the training-state reader can notice).
        var truncated = folder.Combine("truncated");
        var cut = new Dictionary<string, byte[]>(files) { [TrainingStateFile.FileName] = files[TrainingStateFile.FileName][..^3] };
        ModelBundleWriter.WriteFolder(truncated, ModelBundleWriter.CreateManifest("t", "tiny", [2], [], cut), cut);
        e = Assert.Throws<CompassFormatException>(() => CompassWeights.Load(truncated).Dispose());
        Assert.Contains("truncated", e.Message);
        Assert.NotNull(manifest);
    }
}
