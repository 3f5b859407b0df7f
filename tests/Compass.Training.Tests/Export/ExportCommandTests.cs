using Compass.ImageSharp;
using Compass.Onnx;
using Compass.Testing;
using Compass.Training.Cli;
using Compass.Training.Export;
using Compass.Training.Modules;
using Compass.Training.Training;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Export;

/// <summary><c>compass-train export</c> on what the trainer writes: compact weights and checkpoints.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    /// <summary>The naming the exporter expects of the COMPASS model module: base., liff., residual.</summary>
    private sealed class CompassLike : nn.Module
    {
        public CompassLike(long seed) : base("CompassLike")
        {
            Base = BundleGraphParityTests.SmallCodec(seed);
            Liff = BundleGraphParityTests.NewLiff(BundleGraphParityTests.SmallLiff, seed + 1);
            Residual = BundleGraphParityTests.SmallCodec(seed + 2);
            register_module("base", Base);
            register_module("liff", Liff);
            register_module("residual", Residual);
        }

        public MeanScaleHyperprior Base { get; }
        public Modules.Liff Liff { get; }
        public MeanScaleHyperprior Residual { get; }
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => TrainCliProcess.Run(args);

    /// <summary>Writes the compact weights of a <see cref="CompassLike"/> model made from <paramref name="seed"/>; returns their path.</summary>
    private string CompactWeightsOf(int seed)
    {
        using var model = new CompassLike(seed);
        var path = _root.Combine("model-f16.weights");
        CompactWeights.Export(model, path);
        return path;
    }

    [Fact]
    public void CompactWeights_ExportToABundleThatEncodesAndDecodes()
    {
        var weights = CompactWeightsOf(seed: 31);
        var bundle = Path.Combine(_root.Path, "bundle");

        var (code, output, error) = Run("export", "--checkpoint", weights, "--out", bundle, "--quality", "4", "--zip", "--name", "cli-test");
        Assert.True(code == 0, error);
        Assert.Contains("cli-test", output);
        Assert.True(File.Exists(bundle + ".zip"));

        using var onnx = OnnxCompassModel.Load(bundle + ".zip", new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        Assert.Equal([4], onnx.Qualities);
        Assert.Equal("custom", onnx.Bundles[0].Manifest.Preset);
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(48, 32);
        var plan = LayerPlan.Parse("24x16,48x32");
        var bytes = new ScalableEncoder(onnx).Encode(image, plan, new EncodeOptions { Quality = 4 });
        using var decoded = new ScalableDecoder(onnx).Decode(bytes);
        Assert.Equal(2, decoded.Layers.Count);
    }

    [Fact]
    public void Pack_PutsBundlesIntoOneModelSet_WithTheirIdentitiesUnchanged()
    {
        var weights = CompactWeightsOf(seed: 51);
        var q1 = Path.Combine(_root.Path, "q1");
        var q2 = Path.Combine(_root.Path, "q2");
        Assert.Equal(0, Run("export", "--checkpoint", weights, "--out", q1, "--quality", "1").Code);
        Assert.Equal(0, Run("export", "--checkpoint", weights, "--out", q2, "--quality", "2", "--zip").Code);
        var set = Path.Combine(_root.Path, "set.zip");

        var (code, output, error) = Run("pack", q2 + ".zip", q1, "--out", set);

        Assert.True(code == 0, error);
        Assert.Contains("2 bundle(s)", output);
        using var onnx = OnnxCompassModel.Load(set, new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        Assert.Equal([1, 2], onnx.Qualities);
        Assert.Equal(Compass.Bundles.ModelBundle.Load(q1).Identity, onnx.Identities[0]);
        Assert.Equal(Compass.Bundles.ModelBundle.Load(q2).Identity, onnx.Identities[1]);

        var twice = Run("pack", q1, q1, "--out", Path.Combine(_root.Path, "bad.zip"));
        Assert.Equal(ExitCodes.InvalidArguments, twice.Code);
        Assert.Contains("both provide quality 1", twice.Err);
        Assert.Empty(Directory.EnumerateFiles(_root.Path, "bad.zip*"));
    }

    [Fact]
    public void Checkpoint_ExportsWithTheRunsQualityPresetAndLambda()
    {
        using var model = new CompassLike(41);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) model.save(writer);
        var header = new CheckpointHeader { Step = 10, Run = new RunDescription { Stage = TrainingStage.Joint, Preset = "compact", Quality = 2, Lambda = 0.0035 } };
        var path = Path.Combine(_root.Path, "step.ckpt");
        new Checkpoint(header, new Dictionary<string, byte[]> { ["model"] = buffer.ToArray() }).Save(path);

        using (var loaded = CompassWeights.Load(path))
        {
            // Full-precision weights come back exactly.
            var expected = model.Liff.named_parameters().First(p => p.name == "imnet.0.weight").parameter;
            var actual = loaded.Liff.named_parameters().First(p => p.name == "imnet.0.weight").parameter;
            Assert.True(expected.eq(actual).all().item<bool>());
            Assert.Equal(BundleGraphParityTests.SmallLiff, loaded.Liff.Config);
            Assert.Equal((16, 24), (loaded.ResidualCodec.N, loaded.ResidualCodec.M));
        }

        var bundle = Path.Combine(_root.Path, "from-ckpt");
        var (code, _, error) = Run("export", "--checkpoint", path, "--out", bundle);
        Assert.True(code == 0, error);
        var manifest = Bundles.ModelBundle.Load(bundle).Manifest;
        Assert.Equal([2], manifest.Qualities);
        Assert.Equal("compact", manifest.Preset);
        Assert.Equal([0.0035], manifest.Lambdas);
        Assert.Equal("compass-compact-q2", manifest.Name);
    }

    [Fact]
    public void WeightsOfAnotherModel_AreRejected()
    {
        using var codec = new MeanScaleHyperprior(8, 8);
        var weights = Path.Combine(_root.Path, "codec.weights");
        CompactWeights.Export(codec, weights);
        var (code, _, error) = Run("export", "--checkpoint", weights, "--out", Path.Combine(_root.Path, "x"), "--quality", "1");
        Assert.Equal(ExitCodes.InvalidArguments, code);
        Assert.Contains("not a COMPASS model", error);

        (code, _, error) = Run("export", "--checkpoint", weights, "--out", Path.Combine(_root.Path, "x"));
        Assert.Equal(ExitCodes.InvalidArguments, code);
    }

    [Fact]
    public void Take_ReplacesOneChildWithAnotherFiles()
    {
        using var a = new CompassLike(41);
        using var b = new CompassLike(51);
        var aPath = Path.Combine(_root.Path, "a.weights");
        var bPath = Path.Combine(_root.Path, "b.weights");
        CompactWeights.Export(a, aPath);
        CompactWeights.Export(b, bPath);

        using (var mixed = CompassWeights.Load(aPath, [("base", bPath)]))
        using (var onlyA = CompassWeights.Load(aPath))
        using (var onlyB = CompassWeights.Load(bPath))
        {
            Assert.True(Same(mixed.BaseCodec, onlyB.BaseCodec));
            Assert.False(Same(mixed.BaseCodec, onlyA.BaseCodec));
            Assert.True(Same(mixed.ResidualCodec, onlyA.ResidualCodec));
        }

        var (code, output, error) = Run("export", "--checkpoint", aPath, "--take", "base=" + bPath, "--out", Path.Combine(_root.Path, "mixed"), "--quality", "3");
        Assert.True(code == 0, error + output);
        (code, _, error) = Run("export", "--checkpoint", aPath, "--take", "everything=" + bPath, "--out", Path.Combine(_root.Path, "bad"), "--quality", "3");
        Assert.Equal(2, code);
        Assert.Contains("--take 'everything=", error);
    }

    private static bool Same(nn.Module x, nn.Module y)
    {
        var sx = x.state_dict();
        var sy = y.state_dict();
        return sx.Keys.All(k => sy.ContainsKey(k) && sx[k].eq(sy[k]).all().item<bool>());
    }
}
