using Compass.Training.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Export;

/// <summary>
/// Exports <see cref="Liff"/> in its exact low-resolution form as two graphs (<see cref="Bundles.BundleFiles"/>):
/// <c>liff/features.onnx</c> computes everything that depends only on the source pixel once per source
/// pixel; <c>liff/predict.onnx</c> runs the per-target-pixel MLP for any chunk of target pixels.
/// </summary>
/// <remarks>
/// The first MLP layer <c>W1 [F; r; s] + b1</c> splits into the feature part <c>W1_F unfold(F) + b1</c>
/// (a 3x3 conv of F: output <c>first</c>), the local-coordinate part <c>W1_r r</c> and the scale-token
/// part <c>W1_s s</c> (both in predict). The last layer is folded with the pixel-wise filtering:
/// <c>rgb_c = sum_j h_j G_cj + sum_i F_i b5_(i,c)</c> with <c>G_cj = sum_i F_i W5_((i,c),j)</c>
/// (outputs <c>filters</c>, row index <c>c * hidden + j</c>, and <c>bias</c>). Identical to
/// <see cref="Liff.Predict"/> up to float rounding.
/// </remarks>
internal static class LiffExporter
{
    /// <summary><c>x</c> [1,3,h,w] to <c>first</c> [h*w, hidden], <c>filters</c> [h*w, 3*hidden], <c>bias</c> [h*w, 3] (row-major source order).</summary>
    public static byte[] Features(Liff liff)
    {
        ArgumentNullException.ThrowIfNull(liff);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var c = liff.Config;
        var p = Parameters(liff);
        int g0 = c.FeatureWidth, hidden = c.HiddenWidth, unfolded = c.UnfoldedWidth;
        const int Out = LiffConfig.OutputChannels, K = LiffConfig.Kernel;
        var b = new OnnxGraphBuilder("liff_features");
        var x = b.Input("x", OnnxElementType.Float, 1, 3, "h", "w");

        // RDN features, as Liff.Features.
        var f1 = b.Conv(x, "SFENet1", p["SFENet1.weight"], p["SFENet1.bias"], padding: 1);
        var h = b.Conv(f1, "SFENet2", p["SFENet2.weight"], p["SFENet2.bias"], padding: 1);
        // Dense connections without Concat: a conv of concat(parts) is the sum of one conv per part (ConvOfConcat).
        var blockOutputs = new (OnnxValue Value, int Channels)[c.Blocks];
        for (int d = 0; d < c.Blocks; d++)
        {
            var input = h;
            var parts = new List<(OnnxValue Value, int Channels)> { (input, g0) };
            for (int k = 0; k < c.LayersPerBlock; k++)
            {
                var name = $"RDBs.{d}.convs.{k}.conv.0";
                parts.Add((b.Relu(b.ConvOfConcat(parts, name, p[name + ".weight"], p[name + ".bias"], padding: 1)), c.GrowthRate));
            }
            h = b.Add(b.ConvOfConcat(parts, $"RDBs.{d}.LFF", p[$"RDBs.{d}.LFF.weight"], p[$"RDBs.{d}.LFF.bias"], padding: 0), input);
            blockOutputs[d] = (h, g0);
        }
        var fused = b.ConvOfConcat(blockOutputs, "GFF.0", p["GFF.0.weight"], p["GFF.0.bias"], padding: 0);
        var features = b.Add(b.Conv(fused, "GFF.1", p["GFF.1.weight"], p["GFF.1.bias"], padding: 1), f1);

        var w1 = p["imnet.0.weight"];
        using var w1Feature = w1.narrow(1, 0, unfolded).reshape(hidden, g0, K, K).contiguous();
        var first = b.Conv(features, "liff.first", w1Feature, p["imnet.0.bias"], padding: 1);

        var lastName = $"imnet.{2 * (c.HiddenLayers + 1)}";
        using var w5 = p[lastName + ".weight"].view(unfolded, Out, hidden).permute(1, 2, 0).reshape(Out * hidden, g0, K, K).contiguous();
        var filters = b.Conv(features, "liff.filters", w5, null, padding: 1);
        using var b5 = p[lastName + ".bias"].view(unfolded, Out).t().reshape(Out, g0, K, K).contiguous();
        var bias = b.Conv(features, "liff.bias", b5, null, padding: 1);

        b.Output(Rows(b, first, hidden), "first", OnnxElementType.Float, "P", hidden);
        b.Output(Rows(b, filters, Out * hidden), "filters", OnnxElementType.Float, "P", Out * hidden);
        b.Output(Rows(b, bias, Out), "bias", OnnxElementType.Float, "P", Out);
        return b.ToBytes();
    }

    /// <summary>
    /// <c>first</c> [P,hidden], <c>filters</c> [P,3*hidden], <c>bias</c> [P,3], <c>index</c> int64 [n] (flat source
    /// index), <c>coord</c> [n,2] (r_y, r_x), <c>cell</c> [2] (s_y, s_x) to <c>rgb</c> [n,3].
    /// </summary>
    public static byte[] Predict(Liff liff)
    {
        ArgumentNullException.ThrowIfNull(liff);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var c = liff.Config;
        var p = Parameters(liff);
        int hidden = c.HiddenWidth, unfolded = c.UnfoldedWidth;
        const int Out = LiffConfig.OutputChannels;
        var b = new OnnxGraphBuilder("liff_predict");
        var first = b.Input("first", OnnxElementType.Float, "P", hidden);
        var filters = b.Input("filters", OnnxElementType.Float, "P", Out * hidden);
        var bias = b.Input("bias", OnnxElementType.Float, "P", Out);
        var index = b.Input("index", OnnxElementType.Int64, "n");
        var coord = b.Input("coord", OnnxElementType.Float, "n", 2);
        var cell = b.Input("cell", OnnxElementType.Float, 2);

        var w1 = p["imnet.0.weight"];
        using var w1Coord = w1.narrow(1, unfolded, 2).contiguous();
        using var w1Cell = w1.narrow(1, unfolded + 2, 2).contiguous();
        var cellTerm = b.Linear(b.Reshape(cell, 1, 2), "liff.cell", w1Cell, null);        // [1, hidden]
        // The gathered feature term plus the per-call scale-token term is Gemm's C input (one Add fewer per pixel, and
        // ONNX Runtime fuses the ReLU into the Gemm).
        var h = b.Relu(b.Gemm(coord, b.Initializer("liff.coord.weight", w1Coord), b.Add(b.Gather(first, index), cellTerm), transB: true)); // [n, hidden]
        for (int l = 1; l <= c.HiddenLayers; l++)
        {
            var name = $"imnet.{2 * l}";
            h = b.Relu(b.Linear(h, name, p[name + ".weight"], p[name + ".bias"]));
        }
        var g = b.Reshape(b.Gather(filters, index), -1, Out, hidden);                  // [n, 3, hidden]
        var rgb = b.Squeeze(b.MatMul(g, b.Unsqueeze(h, 2)), 2);                        // [n, 3]
        rgb = b.Add(rgb, b.Gather(bias, index));
        b.Output(rgb, "rgb", OnnxElementType.Float, "n", Out);
        return b.ToBytes();
    }

    // [1, C, h, w] -> [h*w, C]: one row per source pixel in row-major order. The NCHW -> NHWC Transpose of a conv
    // output is what ONNX Runtime folds into the conv's NCHWc reorder (ReorderOutput channels_last), so no separate
    // transpose of the large outputs runs.
    private static OnnxValue Rows(OnnxGraphBuilder b, OnnxValue x, int channels) => b.Reshape(b.Transpose(x, 0, 2, 3, 1), -1, channels);

    private static Dictionary<string, Tensor> Parameters(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
}
