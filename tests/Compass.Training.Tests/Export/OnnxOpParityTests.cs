using System.Runtime.InteropServices;
using Compass.Training.Export;
using Compass.Training.Export.OnnxProto;
using Compass.Training.Import;
using TorchSharp;
using static Compass.Training.Tests.Export.Parity;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Compass.Training.Tests.Export;

/// <summary>
/// Every builder op and block, run in ONNX Runtime on odd and even dynamic sizes with one model, against
/// the TorchSharp functional equivalent (max abs diff &lt;= 1e-5).
/// </summary>
public class OnnxOpParityTests
{
    private const OnnxElementType Float = OnnxElementType.Float;

    [Fact]
    public void Conv_StrideOnePaddedStrideTwoAndGrouped()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(1);
        var w1 = Randn(g, 6, 4, 3, 3) * 0.2f;
        var b1 = Randn(g, 6);
        var w2 = Randn(g, 5, 4, 5, 5) * 0.1f;
        var b2 = Randn(g, 5);
        var w3 = Randn(g, 4, 2, 3, 3) * 0.2f;

        var onnx = new OnnxGraphBuilder("conv");
        var x = onnx.Input("x", Float, 1, 4, "H", "W");
        onnx.Output(onnx.Conv(x, "c1", w1, b1, stride: 1, padding: 1), "y1", Float, null);
        onnx.Output(onnx.Conv(x, "c2", w2, b2, stride: 2, padding: 2), "y2", Float, null);
        onnx.Output(onnx.Conv(x, "c3", w3, null, padding: 1, groups: 2), "y3", Float, null);
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes)
        {
            var input = Randn(g, 1, 4, h, w);
            var y = model.Run(("x", input));
            AssertClose(F.conv2d(input, w1, b1, padding: [1, 1]), y["y1"], $"conv3x3 {h}x{w}");
            AssertClose(F.conv2d(input, w2, b2, strides: [2, 2], padding: [2, 2]), y["y2"], $"conv5x5/2 {h}x{w}");
            AssertClose(F.conv2d(input, w3, null, padding: [1, 1], groups: 2), y["y3"], $"grouped conv {h}x{w}");
        }
    }

    [Fact]
    public void ConvTranspose_StrideTwoWithOutputPaddingAndStrideOne()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(2);
        var w1 = Randn(g, 4, 6, 5, 5) * 0.1f;   // [C_in, C_out, k, k]
        var b1 = Randn(g, 6);
        var w2 = Randn(g, 4, 3, 3, 3) * 0.2f;

        var onnx = new OnnxGraphBuilder("deconv");
        var x = onnx.Input("x", Float, 1, 4, "H", "W");
        onnx.Output(onnx.ConvTranspose(x, "d1", w1, b1, stride: 2, padding: 2, outputPadding: 1), "y1", Float, 1, 6, "H2", "W2");
        onnx.Output(onnx.ConvTranspose(x, "d2", w2, null, stride: 1, padding: 1), "y2", Float, null);
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes)
        {
            var input = Randn(g, 1, 4, h, w);
            var y = model.Run(("x", input));
            var expected = F.conv_transpose2d(input, w1, b1, strides: [2, 2], padding: [2, 2], output_padding: [1, 1]);
            Assert.Equal(new long[] { 1, 6, 2 * h, 2 * w }, expected.shape);
            AssertClose(expected, y["y1"], $"deconv5x5/2 {h}x{w}");
            AssertClose(F.conv_transpose2d(input, w2, padding: [1, 1]), y["y2"], $"deconv3x3 {h}x{w}");
        }
    }

    [Fact]
    public void SubPixelConvTranspose_EqualsStrideTwoDeconv()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(21);
        var w5 = Randn(g, 4, 6, 5, 5) * 0.1f;   // [C_in, C_out, k, k]
        var b5 = Randn(g, 6);
        var w3 = Randn(g, 4, 3, 3, 3) * 0.2f;

        var onnx = new OnnxGraphBuilder("subpixel");
        var x = onnx.Input("x", Float, 1, 4, "H", "W");
        onnx.Output(onnx.ConvTransposeStride2AsSubPixel(x, "d5", w5, b5), "y5", Float, null);
        onnx.Output(onnx.ConvTransposeStride2AsSubPixel(x, "d3", w3, null), "y3", Float, null);
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes)
        {
            var input = Randn(g, 1, 4, h, w);
            var y = model.Run(("x", input));
            // The same products as the transposed conv plus zero taps, summed in another order: float rounding only.
            AssertClose(F.conv_transpose2d(input, w5, b5, strides: [2, 2], padding: [2, 2], output_padding: [1, 1]), y["y5"], $"sub-pixel deconv5x5/2 {h}x{w}");
            AssertClose(F.conv_transpose2d(input, w3, null, strides: [2, 2], padding: [1, 1], output_padding: [1, 1]), y["y3"], $"sub-pixel deconv3x3/2 {h}x{w}");
        }
    }

    [Fact]
    public void SubPixelWeights_ReadBackAsTheTransposedConvolutionsWeights_BitForBit()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(23);
        var w5 = Randn(g, 4, 6, 5, 5);   // [C_in, C_out, 5, 5]
        var onnx = new OnnxGraphBuilder("subpixel_weights");
        var x = onnx.Input("x", Float, 1, 4, "H", "W");
        onnx.Output(onnx.ConvTransposeStride2AsSubPixel(x, "g_s.2", w5, Randn(g, 6)), "y", Float, null);
        var initializer = ModelProto.Parser.ParseFrom(onnx.ToBytes()).Graph.Initializer.Single(t => t.Name == "g_s.2.subpixel.weight");
        var sub = tensor(MemoryMarshal.Cast<byte, float>(initializer.RawData.Span).ToArray()).reshape([.. initializer.Dims]);
        // A rearrangement of the same floats: exact.
        Assert.True(BundleWeights.SubPixelToTransposedWeight(sub).eq(w5).all().item<bool>(), "the sub-pixel weight does not fold back into the deconvolution's");
    }

    [Fact]
    public void ConvOfConcat_EqualsConvOfConcatenation()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(22);
        var w = Randn(g, 5, 7, 3, 3) * 0.2f;
        var bias = Randn(g, 5);

        var onnx = new OnnxGraphBuilder("conv_of_concat");
        var a = onnx.Input("a", Float, 1, 4, "H", "W");
        var b = onnx.Input("b", Float, 1, 3, "H", "W");
        onnx.Output(onnx.ConvOfConcat([(a, 4), (b, 3)], "c", w, bias, padding: 1), "y", Float, null);
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, wd) in Sizes)
        {
            var ia = Randn(g, 1, 4, h, wd);
            var ib = Randn(g, 1, 3, h, wd);
            var y = model.Run(("a", ia), ("b", ib));
            AssertClose(F.conv2d(cat([ia, ib], 1), w, bias, padding: [1, 1]), y["y"], $"conv of concat {h}x{wd}");
        }
    }

    [Fact]
    public void Elementwise_WithBroadcasting()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(3);
        var onnx = new OnnxGraphBuilder("elementwise");
        var a = onnx.Input("a", Float, 1, 3, "H", "W");
        var b = onnx.Input("b", Float, 1, 3, 1, 1);
        var one = onnx.Scalar(1f);
        onnx.Output(onnx.Add(a, b), "add", Float, null);
        onnx.Output(onnx.Sub(a, b), "sub", Float, null);
        onnx.Output(onnx.Mul(a, b), "mul", Float, null);
        onnx.Output(onnx.Div(a, onnx.Add(onnx.Square(b), one)), "div", Float, null);
        onnx.Output(onnx.Sqrt(onnx.Add(onnx.Square(a), one)), "sqrt", Float, null);
        onnx.Output(onnx.Pow(onnx.Add(onnx.Square(a), one), onnx.Scalar(1.5f)), "pow", Float, null);
        onnx.Output(onnx.Relu(a), "relu", Float, null);
        onnx.Output(onnx.LeakyRelu(a), "leaky", Float, null);
        onnx.Output(onnx.LeakyRelu(a, 0.2f), "leaky02", Float, null);
        onnx.Output(onnx.Max(a, b), "max", Float, null);
        onnx.Output(onnx.Min(a, b), "min", Float, null);
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes)
        {
            var ta = Randn(g, 1, 3, h, w);
            var tb = Randn(g, 1, 3, 1, 1);
            var y = model.Run(("a", ta), ("b", tb));
            AssertClose(ta + tb, y["add"], "add");
            AssertClose(ta - tb, y["sub"], "sub");
            AssertClose(ta * tb, y["mul"], "mul");
            AssertClose(ta / (tb * tb + 1), y["div"], "div");
            AssertClose((ta * ta + 1).sqrt(), y["sqrt"], "sqrt");
            AssertClose((ta * ta + 1).pow(1.5), y["pow"], "pow");
            AssertClose(F.relu(ta), y["relu"], "relu");
            AssertClose(F.leaky_relu(ta), y["leaky"], "leaky_relu 0.01");
            AssertClose(F.leaky_relu(ta, 0.2), y["leaky02"], "leaky_relu 0.2");
            AssertClose(maximum(ta, tb), y["max"], "max");
            AssertClose(minimum(ta, tb), y["min"], "min");
        }
    }

    [Fact]
    public void ReplicatePadTopLeftIfOdd_MatchesReplicatePadOnOddSidesOnly()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(4);
        var onnx = new OnnxGraphBuilder("pad");
        var x = onnx.Input("x", Float, 1, 3, "H", "W");
        onnx.Output(onnx.ReplicatePadTopLeftIfOdd(x), "y", Float, null);
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes.Append((37, 54)).Append((38, 53)))
        {
            var input = Randn(g, 1, 3, h, w);
            var y = model.Run(("x", input))["y"];
            // torch pad order: (left, right, top, bottom).
            var expected = F.pad(input, [w % 2, 0, h % 2, 0], PaddingModes.Replicate);
            Assert.Equal(new long[] { 1, 3, h + (h % 2), w + (w % 2) }, y.shape);
            AssertClose(expected, y, $"pad {h}x{w}");
        }
    }

    [Fact]
    public void OddSizeChain_PadConvDeconvCrop_RestoresTheInputSize()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(5);
        var wc = Randn(g, 8, 3, 5, 5) * 0.1f;
        var bc = Randn(g, 8);
        var wd = Randn(g, 8, 3, 5, 5) * 0.1f;
        var bd = Randn(g, 3);

        var onnx = new OnnxGraphBuilder("odd_chain");
        var x = onnx.Input("x", Float, 1, 3, "H", "W");
        var size = onnx.SpatialSize(x);
        var down = onnx.LeakyRelu(onnx.Conv(onnx.ReplicatePadTopLeftIfOdd(x), "down", wc, bc, stride: 2, padding: 2));
        var up = onnx.ConvTranspose(down, "up", wd, bd, stride: 2, padding: 2, outputPadding: 1);
        onnx.Output(onnx.CropTopLeftIfOdd(up, size), "y", Float, 1, 3, "H", "W");
        onnx.Output(down, "mid", Float, null);
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes)
        {
            var input = Randn(g, 1, 3, h, w);
            var y = model.Run(("x", input));
            var padded = F.pad(input, [w % 2, 0, h % 2, 0], PaddingModes.Replicate);
            var mid = F.leaky_relu(F.conv2d(padded, wc, bc, strides: [2, 2], padding: [2, 2]));
            Assert.Equal(new long[] { 1, 8, (h + 1) / 2, (w + 1) / 2 }, mid.shape);
            var full = F.conv_transpose2d(mid, wd, bd, strides: [2, 2], padding: [2, 2], output_padding: [1, 1]);
            var expected = full[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(h % 2), TensorIndex.Slice(w % 2)];
            Assert.Equal(new long[] { 1, 3, h, w }, y["y"].shape);
            AssertClose(mid, y["mid"], $"chain mid {h}x{w}");
            AssertClose(expected, y["y"], $"chain out {h}x{w}");
        }
    }

    [Fact]
    public void DecoderStyleCrop_FromASizeInput_WithCeilHalfChain()
    {
        // g_s / h_s pattern: the decoder knows the target size from the bitstream, not from an encoder tensor.
        using var scope = NewDisposeScope();
        var g = Seeded(6);
        var w1 = Randn(g, 4, 4, 5, 5) * 0.1f;
        var w2 = Randn(g, 4, 2, 5, 5) * 0.1f;

        var onnx = new OnnxGraphBuilder("decoder_crop");
        var y = onnx.Input("y", Float, 1, 4, "h", "w");
        var size = onnx.Input("size", OnnxElementType.Int64, 2);
        var half = onnx.CeilHalf(size);
        var s1 = onnx.CropTopLeftTo(onnx.ConvTranspose(y, "d1", w1, null, 2, 2, 1), half);
        var s2 = onnx.CropTopLeftTo(onnx.ConvTranspose(s1, "d2", w2, null, 2, 2, 1), size);
        onnx.Output(half, "half", OnnxElementType.Int64, 2);
        onnx.Output(s2, "x", Float, 1, 2, "H", "W");
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes)
        {
            long h1 = (h + 1) / 2, w1s = (w + 1) / 2, h2 = (h1 + 1) / 2, w2s = (w1s + 1) / 2;
            var latent = Randn(g, 1, 4, h2, w2s);
            var result = model.Run(("y", latent), ("size", tensor(new long[] { h, w })));
            AssertClose(tensor(new long[] { h1, w1s }), result["half"], "ceil half");
            var e1 = F.conv_transpose2d(latent, w1, strides: [2, 2], padding: [2, 2], output_padding: [1, 1]);
            e1 = e1[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(2 * h2 - h1), TensorIndex.Slice(2 * w2s - w1s)];
            var e2 = F.conv_transpose2d(e1, w2, strides: [2, 2], padding: [2, 2], output_padding: [1, 1]);
            e2 = e2[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(2 * h1 - h), TensorIndex.Slice(2 * w1s - w)];
            AssertClose(e2, result["x"], $"decoder crop {h}x{w}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gdn_FromOps_MatchesReference(bool inverse)
    {
        using var scope = NewDisposeScope();
        var g = Seeded(7);
        const int c = 16;
        var beta = rand(new long[] { c }, generator: g) + 0.5f;
        var gamma = (rand(new long[] { c, c }, generator: g) * 0.1f) + (eye(c) * 0.1f);

        var onnx = new OnnxGraphBuilder("gdn");
        var x = onnx.Input("x", Float, 1, c, "H", "W");
        onnx.Output(onnx.Gdn(x, "gdn", beta, gamma, inverse), "y", Float, 1, c, "H", "W");
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes)
        {
            var input = Randn(g, 1, c, h, w);
            var norm = F.conv2d(input * input, gamma.reshape(c, c, 1, 1), beta).sqrt();
            var expected = inverse ? input * norm : input / norm;
            AssertClose(expected, model.Run(("x", input))["y"], $"{(inverse ? "IGDN" : "GDN")} {h}x{w}");
        }
    }

    [Fact]
    public void Unfold3x3_MatchesTorchUnfold()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(8);
        const int c = 5;
        var onnx = new OnnxGraphBuilder("unfold");
        var x = onnx.Input("x", Float, 1, c, "H", "W");
        onnx.Output(onnx.Unfold3x3(x, c), "y", Float, 1, c * 9, "H", "W");
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes)
        {
            var input = Randn(g, 1, c, h, w);
            var expected = F.unfold(input, 3, padding: 1).reshape(1, c * 9, h, w);
            AssertClose(expected, model.Run(("x", input))["y"], $"unfold {h}x{w}", 0);
        }
    }
}
