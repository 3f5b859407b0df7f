using Compass.Bundles;
using Compass.EntropyCoding;
using Compass.Training.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Export;

/// <summary>
/// Exports a <see cref="MeanScaleHyperprior"/> as the three graphs and the entropy tables of a bundle
/// codec (<see cref="BundleFiles"/>): every pad and crop of the module's odd-size scheme is rebuilt from
/// run-time sizes, so one graph serves every image size.
/// </summary>
internal static class CodecExporter
{
    /// <summary>g_a then h_a: <c>x</c> [1,3,H,W] to <c>y</c> and <c>z</c>.</summary>
    public static byte[] Analysis(MeanScaleHyperprior codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var p = Parameters(codec);
        var b = new OnnxGraphBuilder("analysis");
        var x = b.Input("x", OnnxElementType.Float, 1, 3, "H", "W");
        var h = x;
        for (int stage = 0; stage < OddSizePadding.AnalysisStages; stage++)
        {
            var name = $"g_a.{2 * stage}";
            h = b.Conv(b.ReplicatePadTopLeftIfOdd(h), name, p[name + ".weight"], p[name + ".bias"], stride: 2, padding: 2);
            if (stage < OddSizePadding.AnalysisStages - 1) h = Nonlinearity(b, h, codec, $"g_a.{2 * stage + 1}");
        }
        var y = h;
        // h_a: the fork pads before its stride-1 conv too (the next stage then sees an even size and never pads).
        h = b.LeakyRelu(b.Conv(b.ReplicatePadTopLeftIfOdd(y), "h_a.0", p["h_a.0.weight"], p["h_a.0.bias"], stride: 1, padding: 1));
        h = b.LeakyRelu(b.Conv(b.ReplicatePadTopLeftIfOdd(h), "h_a.2", p["h_a.2.weight"], p["h_a.2.bias"], stride: 2, padding: 2));
        var z = b.Conv(b.ReplicatePadTopLeftIfOdd(h), "h_a.4", p["h_a.4.weight"], p["h_a.4.bias"], stride: 2, padding: 2);
        b.Output(y, "y", OnnxElementType.Float, 1, codec.M, "yh", "yw");
        b.Output(z, "z", OnnxElementType.Float, 1, codec.N, "zh", "zw");
        return b.ToBytes();
    }

    /// <summary>h_s: <c>z_hat</c> [1,N,zh,zw] and <c>y_size</c> int64 [2] to <c>scales</c> and <c>means</c> [1,M,yh,yw].</summary>
    public static byte[] HyperSynthesis(MeanScaleHyperprior codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var p = Parameters(codec);
        var b = new OnnxGraphBuilder("hyper_synthesis");
        var zHat = b.Input("z_hat", OnnxElementType.Float, 1, codec.N, "zh", "zw");
        var ySize = b.Input("y_size", OnnxElementType.Int64, 2);
        // Sizes of h_a's stages for this y (OddSizePadding.HyperAnalysisFlags): s0 = y, s1 = 2 ceil(s0/2), s2 = ceil(s1/2).
        var s1 = b.Mul(b.CeilHalf(ySize), b.Constant(2));
        var s2 = b.CeilHalf(s1);
        var h = b.CropTopLeftTo(b.ConvTranspose(zHat, "h_s.0", p["h_s.0.weight"], p["h_s.0.bias"], stride: 2, padding: 2, outputPadding: 1), s2);
        h = b.CropTopLeftTo(b.ConvTranspose(b.LeakyRelu(h), "h_s.2", p["h_s.2.weight"], p["h_s.2.bias"], stride: 2, padding: 2, outputPadding: 1), s1);
        h = b.CropTopLeftTo(b.Conv(b.LeakyRelu(h), "h_s.4", p["h_s.4.weight"], p["h_s.4.bias"], stride: 1, padding: 1), ySize);
        var parts = b.Split(h, 1, codec.M, codec.M);
        b.Output(parts[0], "scales", OnnxElementType.Float, 1, codec.M, "yh", "yw");
        b.Output(parts[1], "means", OnnxElementType.Float, 1, codec.M, "yh", "yw");
        return b.ToBytes();
    }

    /// <summary>g_s: <c>y_hat</c> [1,M,yh,yw] and <c>image_size</c> int64 [2] to <c>x_hat</c> [1,3,H,W] (unclamped).</summary>
    public static byte[] Synthesis(MeanScaleHyperprior codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var p = Parameters(codec);
        var b = new OnnxGraphBuilder("synthesis");
        var yHat = b.Input("y_hat", OnnxElementType.Float, 1, codec.M, "yh", "yw");
        var imageSize = b.Input("image_size", OnnxElementType.Int64, 2);
        // sizes[k] = the size before g_a's stage k; the deconv that undoes stage k crops to it.
        var sizes = new OnnxValue[OddSizePadding.AnalysisStages];
        sizes[0] = imageSize;
        for (int k = 1; k < sizes.Length; k++) sizes[k] = b.CeilHalf(sizes[k - 1]);
        var h = yHat;
        for (int stage = OddSizePadding.AnalysisStages - 1; stage >= 0; stage--)
        {
            int layer = 2 * (OddSizePadding.AnalysisStages - 1 - stage);
            var name = $"g_s.{layer}";
            h = b.CropTopLeftTo(Deconvolution(b, h, name, p[name + ".weight"], p[name + ".bias"]), sizes[stage]);
            if (stage > 0) h = Nonlinearity(b, h, codec, $"g_s.{layer + 1}");
        }
        b.Output(h, "x_hat", OnnxElementType.Float, 1, 3, "H", "W");
        return b.ToBytes();
    }

    /// <summary>
    /// g_s deconvolutions with at least this many output channels are exported as sub-pixel convolutions. ONNX Runtime's
    /// CPU ConvTranspose is a GEMM into a column buffer of 25 x C_out floats per input pixel, then col2im: at 128 output
    /// channels (the paper width) that buffer is 315 MB for the 192x128 -> 384x256 layer of a Kodak image and the layer
    /// took 3-5x as long as the same function as a stride-1 conv + DepthToSpace (docs/performance.md). At 64 channels
    /// (the compact preset) the two forms cost the same, so those graphs keep ConvTranspose and export unchanged.
    /// </summary>
    internal const int SubPixelMinOutputChannels = 128;

    // A 5x5 stride-2 deconvolution (padding 2, output padding 1: exactly doubles) in the form that runs faster.
    private static OnnxValue Deconvolution(OnnxGraphBuilder b, OnnxValue x, string name, Tensor weight, Tensor bias) =>
        weight.shape[1] >= SubPixelMinOutputChannels
            ? b.ConvTransposeStride2AsSubPixel(x, name, weight, bias)
            : b.ConvTranspose(x, name, weight, bias, stride: 2, padding: 2, outputPadding: 1);

    /// <summary>
    /// The integer tables: z from the bottleneck's per-channel pmfs (<see cref="FactorizedTableBuilder.FromPmfs"/>)
    /// with the medians; y from <see cref="GaussianTableBuilder.Build"/> over <paramref name="scaleTable"/>.
    /// </summary>
    public static byte[] EntropyTables(MeanScaleHyperprior codec, float[]? scaleTable = null)
    {
        ArgumentNullException.ThrowIfNull(codec);
        scaleTable ??= GaussianTableBuilder.DefaultScaleTable();
        var pmfs = codec.EntropyBottleneck.ChannelPmfs();
        var zTables = FactorizedTableBuilder.FromPmfs(
            pmfs.Select(c => c.Pmf).ToList(), pmfs.Select(c => c.TailMass).ToArray(), pmfs.Select(c => c.Offset).ToArray());
        float[] medians;
        using (var m = codec.EntropyBottleneck.Medians()) medians = m.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        var yTables = GaussianTableBuilder.Build(scaleTable);
        return EntropyTablesFile.Write(zTables, medians, yTables, scaleTable);
    }

    private static OnnxValue Nonlinearity(OnnxGraphBuilder b, OnnxValue x, MeanScaleHyperprior codec, string name)
    {
        if (codec.Nonlinearity == CodecNonlinearity.Relu) return b.Relu(x);
        var gdn = codec.named_modules().First(m => m.name == name).module as Modules.Gdn
            ?? throw new InvalidOperationException($"Module '{name}' is not a GDN layer.");
        using var beta = gdn.EffectiveBeta();
        using var gamma = gdn.EffectiveGamma();
        return gdn.Simplified ? b.SimplifiedGdn(x, name, beta, gamma, gdn.Inverse) : b.Gdn(x, name, beta, gamma, gdn.Inverse);
    }

    private static Dictionary<string, Tensor> Parameters(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
}
