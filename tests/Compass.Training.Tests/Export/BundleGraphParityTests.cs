using Compass.Pipeline;
using Compass.Training.Export;
using Compass.Training.Export.OnnxProto;
using Compass.Training.Modules;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Modules = Compass.Training.Modules;

namespace Compass.Training.Tests.Export;

/// <summary>
/// The bundle graphs in ONNX Runtime against the TorchSharp modules they were exported from, on random
/// inputs at odd and even sizes: every graph within 1e-4 (max abs difference, reported).
/// </summary>
public sealed class BundleGraphParityTests(ITestOutputHelper log)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<int, int> CodecSizes => new() { { 37, 53 }, { 64, 96 }, { 131, 173 } };

    internal static MeanScaleHyperprior SmallCodec(long seed)
    {
        torch.manual_seed(seed);
        var codec = new MeanScaleHyperprior(16, 24);
        codec.eval();
        PerturbGdn(codec, seed);
        return codec;
    }

    internal static LiffConfig SmallLiff { get; } = new(8, 2, 2, 8, 16, 1);

    internal static Modules.Liff NewLiff(LiffConfig config, long seed)
    {
        torch.manual_seed(seed);
        var liff = new Modules.Liff(config);
        liff.eval();
        return liff;
    }

    // The default GDN init (beta 1, gamma 0.1 I) hides layout mistakes in gamma; give it random off-diagonal terms.
    private static void PerturbGdn(MeanScaleHyperprior codec, long seed)
    {
        using var _ = no_grad();
        var g = new Generator((ulong)seed + 7);
        foreach (var (name, p) in codec.named_parameters())
        {
            if (name.EndsWith(".gamma", StringComparison.Ordinal) || name.EndsWith(".beta", StringComparison.Ordinal))
                p.add_(rand(p.shape, generator: g).mul(0.05));
        }
    }

    /// <summary>
    /// At the paper width g_s's deconvolutions with 128 output channels are exported as sub-pixel convolutions
    /// (<see cref="CodecExporter.SubPixelMinOutputChannels"/>); the graph computes the module's function all the same.
    /// </summary>
    [Fact]
    public void SynthesisGraph_AtPaperWidth_UsesSubPixelConvolutions_AndMatchesTorch()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        torch.manual_seed(5);
        var codec = new MeanScaleHyperprior(128, 192);
        codec.eval();
        PerturbGdn(codec, 5);
        var bytes = CodecExporter.Synthesis(codec);
        var graph = ModelProto.Parser.ParseFrom(bytes).Graph;
        Assert.Equal(3, graph.Node.Count(n => n.OpType == "DepthToSpace"));
        Assert.Equal(1, graph.Node.Count(n => n.OpType == "ConvTranspose")); // the last one, 128 -> 3
        const int h = 37, w = 53;
        int yh = LatentGeometry.YExtent(h), yw = LatentGeometry.YExtent(w);
        using var synthesis = new OrtModel(bytes);
        var yHat = randn([1, 192, yh, yw], generator: Parity.Seeded(9)).mul(4).round();
        var outputs = synthesis.Run(("y_hat", yHat), ("image_size", tensor(new long[] { h, w })));
        Report("paper-width synthesis x_hat", h, w, codec.Synthesis(yHat, h, w), outputs["x_hat"]);
    }

    [Theory]
    [MemberData(nameof(CodecSizes))]
    public void CodecGraphs_MatchTorch(int h, int w)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var codec = SmallCodec(11);
        var g = Parity.Seeded(h * 1000 + w);
        var x = rand([1, 3, h, w], generator: g);

        using (var analysis = new OrtModel(CodecExporter.Analysis(codec)))
        {
            var y = codec.Analysis(x);
            var z = codec.HyperAnalysis(y);
            var outputs = analysis.Run(("x", x));
            Report("analysis y", h, w, y, outputs["y"]);
            Report("analysis z", h, w, z, outputs["z"]);
            Assert.Equal([1L, 24, LatentGeometry.YExtent(h), LatentGeometry.YExtent(w)], outputs["y"].shape);
            Assert.Equal([1L, 16, LatentGeometry.ZExtent(h), LatentGeometry.ZExtent(w)], outputs["z"].shape);
        }

        int yh = LatentGeometry.YExtent(h), yw = LatentGeometry.YExtent(w);
        using (var hyper = new OrtModel(CodecExporter.HyperSynthesis(codec)))
        {
            var zHat = randn([1, 16, LatentGeometry.ZExtent(h), LatentGeometry.ZExtent(w)], generator: g).mul(3).round();
            var (scales, means) = codec.HyperSynthesis(zHat, yh, yw);
            var outputs = hyper.Run(("z_hat", zHat), ("y_size", tensor(new long[] { yh, yw })));
            Report("hyper_synthesis scales", h, w, scales, outputs["scales"]);
            Report("hyper_synthesis means", h, w, means, outputs["means"]);
        }

        using (var synthesis = new OrtModel(CodecExporter.Synthesis(codec)))
        {
            var yHat = randn([1, 24, yh, yw], generator: g).mul(4).round();
            var expected = codec.Synthesis(yHat, h, w);
            var outputs = synthesis.Run(("y_hat", yHat), ("image_size", tensor(new long[] { h, w })));
            Report("synthesis x_hat", h, w, expected, outputs["x_hat"]);
        }
    }

    [Theory]
    [InlineData(CodecNonlinearity.SimplifiedGdn)]
    [InlineData(CodecNonlinearity.Relu)]
    public void CodecGraphsWithCheaperNonlinearities_MatchTorch(CodecNonlinearity nonlinearity)
    {
        const int h = 37, w = 53;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        torch.manual_seed(12);
        var codec = new MeanScaleHyperprior(16, 24, null, 0, nonlinearity);
        codec.eval();
        PerturbGdn(codec, 12);
        Assert.Equal(nonlinearity == CodecNonlinearity.Relu ? 0 : 6, codec.named_modules().Count(m => m.module is Modules.Gdn g && g.Simplified));
        var g = Parity.Seeded(5);
        var x = rand([1, 3, h, w], generator: g);
        using (var analysis = new OrtModel(CodecExporter.Analysis(codec)))
        {
            var y = codec.Analysis(x);
            Report($"{nonlinearity} analysis y", h, w, y, analysis.Run(("x", x))["y"]);
        }
        using (var synthesis = new OrtModel(CodecExporter.Synthesis(codec)))
        {
            var yHat = randn([1, 24, LatentGeometry.YExtent(h), LatentGeometry.YExtent(w)], generator: g).mul(4).round();
            var expected = codec.Synthesis(yHat, h, w);
            Report($"{nonlinearity} synthesis x_hat", h, w, expected, synthesis.Run(("y_hat", yHat), ("image_size", tensor(new long[] { h, w })))["x_hat"]);
        }
    }

    public static TheoryData<int, int, int, int> LiffSizes => new() { { 19, 27, 37, 53 }, { 19, 27, 19, 27 }, { 19, 27, 64, 96 }, { 32, 48, 37, 53 } };

    [Theory]
    [MemberData(nameof(LiffSizes))]
    public void LiffGraphs_MatchTorch(int h, int w, int targetH, int targetW) => CheckLiff(SmallLiff, h, w, targetH, targetW);

    [Fact]
    public void LiffGraphs_MatchTorch_PaperConfig() => CheckLiff(LiffConfig.Paper, 19, 27, 37, 53);

    private void CheckLiff(LiffConfig config, int h, int w, int targetH, int targetW)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var liff = NewLiff(config, 5);
        var x = rand([1, 3, h, w], generator: Parity.Seeded(h + w));
        var grid = LiffGrid.Create(h, w, targetH, targetW);

        Dictionary<string, Tensor> features;
        using (var model = new OrtModel(LiffExporter.Features(liff)))
            features = model.Run(("x", x));
        // The feature part of the first MLP layer, straight from the module's parameters.
        var p = liff.named_parameters().ToDictionary(e => e.name, e => (Tensor)e.parameter);
        var w1F = p["imnet.0.weight"].narrow(1, 0, config.UnfoldedWidth).reshape(config.HiddenWidth, config.FeatureWidth, 3, 3);
        var first = nn.functional.conv2d(liff.Features(x), w1F, p["imnet.0.bias"], padding: [1, 1]).flatten(2).squeeze(0).t();
        Report("liff/features first", h, w, first, features["first"]);
        Assert.Equal([(long)h * w, 3L * config.HiddenWidth], features["filters"].shape);
        Assert.Equal([(long)h * w, 3L], features["bias"].shape);

        var expected = liff.Predict(x, targetH, targetW).squeeze(0).flatten(1).t(); // [n, 3]
        using var predict = new OrtModel(LiffExporter.Predict(liff));
        var index = tensor(Array.ConvertAll(grid.FlatSourceIndex(), i => (long)i));
        var coord = tensor(grid.FlatOffsets()).view(-1, 2);
        var cell = tensor(new[] { grid.ScaleY, grid.ScaleX });
        var rgb = predict.Run(("first", features["first"]), ("filters", features["filters"]), ("bias", features["bias"]),
            ("index", index), ("coord", coord), ("cell", cell))["rgb"];
        Report($"liff/predict rgb ({config.HiddenWidth} hidden) -> {targetH}x{targetW}", h, w, expected, rgb);
    }

    private void Report(string what, int h, int w, Tensor expected, Tensor actual)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shape [{string.Join(',', actual.shape)}], expected [{string.Join(',', expected.shape)}]");
        var diff = (expected - actual).abs().max().item<float>();
        var scale = expected.abs().max().item<float>();
        log.WriteLine($"{what} @ {h}x{w}: max abs diff {diff:E2} (max |value| {scale:G3})");
        Assert.True(diff <= Tolerance, $"{what} @ {h}x{w}: max abs diff {diff:E3} > {Tolerance:E1}");
    }
}
