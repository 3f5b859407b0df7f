using TorchSharp;

namespace Compass.Training.Export;

// Single ONNX ops (opset 17 signatures: Pad/Slice/Unsqueeze/Squeeze/Split/Reshape take their
// integer arguments as int64 input tensors, made here from constants where the caller passes arrays).
internal sealed partial class OnnxGraphBuilder
{
    // ---------------------------------------------------------------- convolutions

    /// <summary>
    /// Conv over NCHW with square kernel, symmetric padding: the ONNX twin of
    /// <c>torch.nn.functional.conv2d(x, w, b, stride, padding, dilation, groups)</c>.
    /// </summary>
    public OnnxValue Conv(OnnxValue x, OnnxValue weight, OnnxValue? bias, int stride = 1, int padding = 0, int groups = 1, int dilation = 1) =>
        Node("Conv", bias is null ? [x, weight] : [x, weight, bias.Value],
            Attr("strides", stride, stride),
            Attr("pads", padding, padding, padding, padding),
            Attr("dilations", dilation, dilation),
            Attr("group", (long)groups));

    /// <summary>Conv with weights (and optional bias) copied from TorchSharp tensors, stored as <c>{name}.weight</c> / <c>{name}.bias</c>.</summary>
    public OnnxValue Conv(OnnxValue x, string name, torch.Tensor weight, torch.Tensor? bias, int stride = 1, int padding = 0, int groups = 1, int dilation = 1) =>
        Conv(x, Initializer(name + ".weight", weight), bias is null ? null : Initializer(name + ".bias", bias), stride, padding, groups, dilation);

    /// <summary>
    /// ConvTranspose over NCHW: the ONNX twin of
    /// <c>torch.nn.functional.conv_transpose2d(x, w, b, stride, padding, output_padding, groups)</c>
    /// (weight layout [C_in, C_out/groups, k, k], as in PyTorch).
    /// </summary>
    public OnnxValue ConvTranspose(OnnxValue x, OnnxValue weight, OnnxValue? bias, int stride = 1, int padding = 0, int outputPadding = 0, int groups = 1) =>
        Node("ConvTranspose", bias is null ? [x, weight] : [x, weight, bias.Value],
            Attr("strides", stride, stride),
            Attr("pads", padding, padding, padding, padding),
            Attr("output_padding", outputPadding, outputPadding),
            Attr("group", (long)groups));

    /// <summary>ConvTranspose with weights (and optional bias) copied from TorchSharp tensors.</summary>
    public OnnxValue ConvTranspose(OnnxValue x, string name, torch.Tensor weight, torch.Tensor? bias, int stride = 1, int padding = 0, int outputPadding = 0, int groups = 1) =>
        ConvTranspose(x, Initializer(name + ".weight", weight), bias is null ? null : Initializer(name + ".bias", bias), stride, padding, outputPadding, groups);

    // ---------------------------------------------------------------- elementwise (numpy broadcasting)

    /// <summary>a + b.</summary>
    public OnnxValue Add(OnnxValue a, OnnxValue b) => Node("Add", [a, b]);

    /// <summary>a - b.</summary>
    public OnnxValue Sub(OnnxValue a, OnnxValue b) => Node("Sub", [a, b]);

    /// <summary>a * b.</summary>
    public OnnxValue Mul(OnnxValue a, OnnxValue b) => Node("Mul", [a, b]);

    /// <summary>a / b (integer division truncates for int64).</summary>
    public OnnxValue Div(OnnxValue a, OnnxValue b) => Node("Div", [a, b]);

    /// <summary>a mod b with the sign of the divisor (integer Mod, fmod = 0).</summary>
    public OnnxValue Mod(OnnxValue a, OnnxValue b) => Node("Mod", [a, b]);

    /// <summary>a ^ b.</summary>
    public OnnxValue Pow(OnnxValue a, OnnxValue b) => Node("Pow", [a, b]);

    /// <summary>x * x (exact, unlike Pow with a float exponent on some providers).</summary>
    public OnnxValue Square(OnnxValue x) => Mul(x, x);

    /// <summary>Elementwise maximum.</summary>
    public OnnxValue Max(params OnnxValue[] values) => Node("Max", values);

    /// <summary>Elementwise minimum.</summary>
    public OnnxValue Min(params OnnxValue[] values) => Node("Min", values);

    /// <summary>Square root.</summary>
    public OnnxValue Sqrt(OnnxValue x) => Node("Sqrt", [x]);

    /// <summary>ReLU.</summary>
    public OnnxValue Relu(OnnxValue x) => Node("Relu", [x]);

    /// <summary>LeakyReLU (PyTorch's default slope is 0.01).</summary>
    public OnnxValue LeakyRelu(OnnxValue x, float alpha = 0.01f) => Node("LeakyRelu", [x], Attr("alpha", alpha));

    /// <summary>Identity (a copy under a new name).</summary>
    public OnnxValue Identity(OnnxValue x) => Node("Identity", [x]);

    // ---------------------------------------------------------------- shapes and indexing

    /// <summary>Shape of x as int64 [rank], or the dims [start, end) of it.</summary>
    public OnnxValue Shape(OnnxValue x, int? start = null, int? end = null)
    {
        var attrs = new List<Compass.Training.Export.OnnxProto.AttributeProto>();
        if (start is not null)
        {
            attrs.Add(Attr("start", (long)start.Value));
        }

        if (end is not null)
        {
            attrs.Add(Attr("end", (long)end.Value));
        }

        return Node("Shape", [x], [.. attrs]);
    }

    /// <summary>Cast to another element type.</summary>
    public OnnxValue Cast(OnnxValue x, OnnxElementType to) => Node("Cast", [x], Attr("to", (long)to));

    /// <summary>Reshape to a shape given as an int64 tensor (0 copies the input dim, -1 infers one dim).</summary>
    public OnnxValue Reshape(OnnxValue x, OnnxValue shape) => Node("Reshape", [x, shape]);

    /// <summary>Reshape to a constant shape (0 copies the input dim, -1 infers one dim).</summary>
    public OnnxValue Reshape(OnnxValue x, params long[] shape) => Reshape(x, Constant(shape));

    /// <summary>Permute axes.</summary>
    public OnnxValue Transpose(OnnxValue x, params long[] perm) => Node("Transpose", [x], Attr("perm", perm));

    /// <summary>Insert size-1 axes.</summary>
    public OnnxValue Unsqueeze(OnnxValue x, params long[] axes) => Node("Unsqueeze", [x, Constant(axes)]);

    /// <summary>Remove size-1 axes.</summary>
    public OnnxValue Squeeze(OnnxValue x, params long[] axes) => Node("Squeeze", [x, Constant(axes)]);

    /// <summary>Concatenate along an axis.</summary>
    public OnnxValue Concat(long axis, params OnnxValue[] values) => Node("Concat", values, Attr("axis", axis));

    /// <summary>Split along an axis into pieces of the given sizes.</summary>
    public OnnxValue[] Split(OnnxValue x, long axis, params long[] sizes) =>
        Node("Split", [x, Constant(sizes)], sizes.Length, Attr("axis", axis));

    /// <summary>Slice with starts/ends/axes/steps given as int64 tensors (axes and steps optional).</summary>
    public OnnxValue Slice(OnnxValue x, OnnxValue starts, OnnxValue ends, OnnxValue? axes = null, OnnxValue? steps = null)
    {
        if (steps is not null && axes is null)
        {
            throw new ArgumentException("Slice: steps need axes.", nameof(steps));
        }

        OnnxValue?[] inputs = steps is not null ? [x, starts, ends, axes, steps] : axes is not null ? [x, starts, ends, axes] : [x, starts, ends];
        return Node("Slice", inputs, 1)[0];
    }

    /// <summary>Slice with constant bounds; <see cref="long.MaxValue"/> as an end means "to the end".</summary>
    public OnnxValue Slice(OnnxValue x, long[] starts, long[] ends, long[] axes, long[]? steps = null) =>
        Slice(x, Constant(starts), Constant(ends), Constant(axes), steps is null ? null : Constant(steps));

    /// <summary>Pad with an int64 pads tensor [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; mode "constant", "reflect" or "edge".</summary>
    public OnnxValue Pad(OnnxValue x, OnnxValue pads, string mode = "constant", OnnxValue? constantValue = null) =>
        Node("Pad", constantValue is null ? [x, pads] : [x, pads, constantValue], 1, Attr("mode", mode))[0];

    /// <summary>Pad with constant pads.</summary>
    public OnnxValue Pad(OnnxValue x, long[] pads, string mode = "constant") => Pad(x, Constant(pads), mode);

    /// <summary>Gather slices of <paramref name="x"/> along <paramref name="axis"/> at int64 indices (like <c>index_select</c>, but indices may have any rank).</summary>
    public OnnxValue Gather(OnnxValue x, OnnxValue indices, long axis = 0) => Node("Gather", [x, indices], Attr("axis", axis));

    /// <summary>GatherND: the last index dimension addresses the leading data dimensions after <paramref name="batchDims"/>.</summary>
    public OnnxValue GatherND(OnnxValue x, OnnxValue indices, long batchDims = 0) => Node("GatherND", [x, indices], Attr("batch_dims", batchDims));

    // ---------------------------------------------------------------- linear algebra

    /// <summary>numpy-style matmul (batched, broadcasting).</summary>
    public OnnxValue MatMul(OnnxValue a, OnnxValue b) => Node("MatMul", [a, b]);

    /// <summary>alpha * op(A) op(B) + beta * C for 2-D A and B.</summary>
    public OnnxValue Gemm(OnnxValue a, OnnxValue b, OnnxValue? c = null, float alpha = 1f, float beta = 1f, bool transA = false, bool transB = false) =>
        Node("Gemm", c is null ? [a, b] : [a, b, c.Value], 1,
            Attr("alpha", alpha), Attr("beta", beta), Attr("transA", transA ? 1L : 0L), Attr("transB", transB ? 1L : 0L))[0];

    /// <summary>
    /// A PyTorch <c>nn.Linear</c> on 2-D input [n, in]: Gemm with the weight [out, in] transposed, so
    /// the weight is stored exactly as TorchSharp holds it.
    /// </summary>
    public OnnxValue Linear(OnnxValue x, string name, torch.Tensor weight, torch.Tensor? bias) =>
        Gemm(x, Initializer(name + ".weight", weight), bias is null ? null : Initializer(name + ".bias", bias), transB: true);
}
