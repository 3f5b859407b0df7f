using TorchSharp;

namespace Compass.Training.Export;

// Composite helpers for the blocks our networks repeat: odd-size handling around stride-2 stages,
// GDN/IGDN, and the LIFF 3x3 unfold. Each is built from plain ops, so it runs on every provider.
internal sealed partial class OnnxGraphBuilder
{
    /// <summary>The (H, W) of an NCHW tensor as int64 [2], read at run time (dynamic sizes).</summary>
    public OnnxValue SpatialSize(OnnxValue x) => Shape(x, 2, 4);

    /// <summary>ceil(size / 2) for an int64 size tensor: the size after one padded stride-2 stage.</summary>
    public OnnxValue CeilHalf(OnnxValue size) => Div(Add(size, Constant(1)), Constant(2));

    /// <summary>
    /// Before a stride-2 conv: an NCHW tensor with odd H (W) gets one replicated row (column) at the
    /// top (left); even sizes pass unchanged. The pad amounts are (H mod 2, W mod 2), computed from the
    /// run-time shape (Shape -> Mod -> Concat into Pad's pads, mode "edge").
    /// </summary>
    public OnnxValue ReplicatePadTopLeftIfOdd(OnnxValue x)
    {
        var odd = Mod(SpatialSize(x), Constant(2));
        var pads = Concat(0, Constant(0, 0), odd, Constant(0, 0, 0, 0));
        return Pad(x, pads, "edge");
    }

    /// <summary>
    /// After a stride-2 deconv: drops the top row (left column) when the matching size in
    /// <paramref name="referenceSize"/> (int64 [2] = the (H, W) before the padded stride-2 stage) is odd.
    /// </summary>
    public OnnxValue CropTopLeftIfOdd(OnnxValue x, OnnxValue referenceSize) =>
        Slice(x, Mod(referenceSize, Constant(2)), Constant(long.MaxValue, long.MaxValue), Constant(2, 3));

    /// <summary>
    /// Crops the top rows / left columns so that the (H, W) of <paramref name="x"/> becomes
    /// <paramref name="targetSize"/> (int64 [2]); for a decoder that knows the target from the bitstream.
    /// </summary>
    public OnnxValue CropTopLeftTo(OnnxValue x, OnnxValue targetSize) =>
        Slice(x, Sub(SpatialSize(x), targetSize), Constant(long.MaxValue, long.MaxValue), Constant(2, 3));

    /// <summary>
    /// GDN (or IGDN when <paramref name="inverse"/>): <c>x / sqrt(beta + conv1x1(x^2, gamma))</c>, or times
    /// the root. <paramref name="beta"/> [C] and <paramref name="gamma"/> [C, C] are the effective
    /// (already re-parametrised and bounded) values; gamma[i, j] weighs input channel j for output i.
    /// </summary>
    public OnnxValue Gdn(OnnxValue x, string name, torch.Tensor beta, torch.Tensor gamma, bool inverse)
    {
        var channels = gamma.shape[0];
        using var gammaWeight = gamma.reshape(channels, channels, 1, 1);
        var norm = Sqrt(Conv(Square(x), name + ".gamma", gammaWeight, beta));
        return inverse ? Mul(x, norm) : Div(x, norm);
    }

    /// <summary>
    /// Simplified GDN (or its inverse): <c>x / (beta + conv1x1(|x|, gamma))</c>, or times it; the arguments as
    /// <see cref="Gdn"/>.
    /// </summary>
    public OnnxValue SimplifiedGdn(OnnxValue x, string name, torch.Tensor beta, torch.Tensor gamma, bool inverse)
    {
        var channels = gamma.shape[0];
        using var gammaWeight = gamma.reshape(channels, channels, 1, 1);
        var linear = Conv(Node("Abs", [x]), name + ".gamma", gammaWeight, beta);
        return inverse ? Mul(x, linear) : Div(x, linear);
    }

    /// <summary>
    /// The 3x3 unfold of an NCHW tensor with <paramref name="channels"/> channels, zeros outside:
    /// output channel c*9 + ky*3 + kx holds x[c] shifted by (ky-1, kx-1), the layout of
    /// <c>torch.nn.functional.unfold(x, 3, padding: 1)</c> viewed as [N, 9C, H, W]. Written as a grouped
    /// conv with a one-hot kernel (exact: every output is one input value times 1).
    /// </summary>
    public OnnxValue Unfold3x3(OnnxValue x, int channels, string name = "unfold3x3")
    {
        var weight = new float[channels * 9 * 9];
        for (var c = 0; c < channels; c++)
        {
            for (var k = 0; k < 9; k++)
            {
                // weight[(c*9 + k), 0, k / 3, k % 3] = 1
                weight[(((c * 9) + k) * 9) + k] = 1f;
            }
        }

        var w = Initializer(Fresh(name + ".weight"), weight, channels * 9L, 1, 3, 3);
        return Conv(x, w, null, stride: 1, padding: 1, groups: channels);
    }

    /// <summary>
    /// conv(concat(parts, axis 1)) written as the sum of one conv per part (the weight split along its input
    /// channels; the bias added once): the same products, summed in another order, without materialising the
    /// concatenation. ONNX Runtime's NCHWc pass fuses most of the Adds into a conv's accumulator, and every tensor stays
    /// in the blocked layout (a Concat forced reorders around it).
    /// </summary>
    public OnnxValue ConvOfConcat(IReadOnlyList<(OnnxValue Value, int Channels)> parts, string name, torch.Tensor weight, torch.Tensor? bias, int padding)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(weight);
        OnnxValue? sum = null;
        int offset = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            using var w = weight.narrow(1, offset, parts[i].Channels).contiguous();
            offset += parts[i].Channels;
            var term = Conv(parts[i].Value, $"{name}.part{i}", w, i == 0 ? bias : null, padding: padding);
            sum = sum is null ? term : Add(sum.Value, term);
        }
        if (offset != weight.shape[1]) throw new ArgumentException($"{name}: parts hold {offset} channels, the weight {weight.shape[1]}.", nameof(parts));
        return sum!.Value;
    }
}
