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
    /// <summary>Infix of a sub-pixel deconvolution's initialisers (<see cref="ConvTransposeStride2AsSubPixel"/>).</summary>
    public const string SubPixelSuffix = ".subpixel";

    /// <summary>
    /// The ONNX twin of <c>conv_transpose2d(x, w, b, stride: 2, padding: (k-1)/2, output_padding: 1)</c> (odd square
    /// kernel k, output exactly 2H x 2W) written as a sub-pixel convolution: one stride-1 conv producing the four output
    /// phases as 4 x C_out channels, then DepthToSpace (CRD: channel c*4 + a*2 + b lands at (2m+a, 2n+b)). Same
    /// products and sums as the transposed conv (the extra kernel taps are zeros); ONNX Runtime's CPU Conv is several
    /// times faster than its col2im ConvTranspose. <paramref name="weight"/> is [C_in, C_out, k, k] as in PyTorch.
    /// </summary>
    /// <remarks>
    /// The initialisers are named <c>{name}.subpixel.weight</c> / <c>.bias</c>, so that reading a bundle's weights back
    /// (<c>BundleWeights</c>) knows to fold them into the transposed-convolution layout again.
    /// </remarks>
    public OnnxValue ConvTransposeStride2AsSubPixel(OnnxValue x, string name, torch.Tensor weight, torch.Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(weight);
        int cin = (int)weight.shape[0], cout = (int)weight.shape[1], k = (int)weight.shape[2];
        if (k % 2 == 0 || weight.shape[3] != k) throw new ArgumentException("An odd square kernel is expected.", nameof(weight));
        int pad = (k - 1) / 2;
        // Output o = 2i - pad + t (t the kernel tap); for o = 2m + a the input offset e = i - m gives t = a + pad - 2e.
        int eMin = int.MaxValue, eMax = int.MinValue;
        for (int a = 0; a < 2; a++)
        {
            for (int t = 0; t < k; t++)
            {
                if ((a + pad - t) % 2 != 0) continue;
                int e = (a + pad - t) / 2;
                eMin = Math.Min(eMin, e);
                eMax = Math.Max(eMax, e);
            }
        }
        int window = eMax - eMin + 1;
        var w = weight.detach().cpu().to_type(torch.ScalarType.Float32).contiguous().data<float>().ToArray();
        var sub = new float[cout * 4 * cin * window * window];
        for (int c = 0; c < cout; c++)
        {
            for (int a = 0; a < 2; a++)
            {
                for (int bb = 0; bb < 2; bb++)
                {
                    int oc = (c * 4) + (a * 2) + bb;
                    for (int ey = 0; ey < window; ey++)
                    {
                        int ty = a + pad - (2 * (ey + eMin));
                        if (ty < 0 || ty >= k) continue;
                        for (int ex = 0; ex < window; ex++)
                        {
                            int tx = bb + pad - (2 * (ex + eMin));
                            if (tx < 0 || tx >= k) continue;
                            for (int i = 0; i < cin; i++)
                                sub[(((((oc * cin) + i) * window) + ey) * window) + ex] = w[(((((i * cout) + c) * k) + ty) * k) + tx];
                        }
                    }
                }
            }
        }
        var subWeight = Initializer(name + SubPixelSuffix + ".weight", sub, cout * 4L, cin, window, window);
        OnnxValue? subBias = null;
        if (bias is not null)
        {
            var bv = bias.detach().cpu().to_type(torch.ScalarType.Float32).contiguous().data<float>().ToArray();
            var rep = new float[cout * 4];
            for (int c = 0; c < rep.Length; c++) rep[c] = bv[c / 4];
            subBias = Initializer(name + SubPixelSuffix + ".bias", rep, cout * 4L);
        }
        // Input offsets eMin..eMax around each position: pad -eMin before and eMax after (k = 5: 1 and 1; k = 3: 0 and 1).
        var phases = Node("Conv", subBias is null ? [x, subWeight] : [x, subWeight, subBias.Value], Attr("pads", -eMin, -eMin, eMax, eMax));
        return Node("DepthToSpace", [phases], Attr("blocksize", 2L), Attr("mode", "CRD"));
    }
}
