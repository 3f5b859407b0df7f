using Compass.Training.Export;
using TorchSharp;
using static Compass.Training.Tests.Export.Parity;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Compass.Training.Tests.Export;

/// <summary>Shape, indexing and linear-algebra ops, and the LIFF-style gather + MatMul chain.</summary>
public class OnnxIndexingParityTests
{
    private const OnnxElementType Float = OnnxElementType.Float;
    private const OnnxElementType Int64 = OnnxElementType.Int64;

    /// <summary>
    /// The shape of the LIFF prediction for one chunk of n output pixels: per-low-res-pixel tensors
    /// computed by 1x1 convs, gathered by precomputed int64 flat indices (Gather) or (i, j) pairs
    /// (GatherND), an MLP on [gathered feature + Linear(coordinates)], then a batched
    /// [n, 3, K] x [n, K, 1] MatMul plus a gathered bias.
    /// </summary>
    [Fact]
    public void GatherAndMatMulChain_LiffPredictionShape()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(11);
        const int c = 8, k = 16;
        var wA = Randn(g, k, c, 1, 1) * 0.3f;
        var wR = Randn(g, k, 2) * 0.3f;
        var bR = Randn(g, k) * 0.1f;
        var w2 = Randn(g, k, k) * 0.25f;
        var b2 = Randn(g, k) * 0.1f;
        var wG = Randn(g, 3 * k, c, 1, 1) * 0.3f;
        var wB = Randn(g, 3, c, 1, 1) * 0.3f;

        var onnx = new OnnxGraphBuilder("liff_chunk");
        var feat = onnx.Input("feat", Float, 1, c, "h", "w");
        var idx = onnx.Input("idx", Int64, "n");
        var ij = onnx.Input("ij", Int64, "n", 2);
        var coord = onnx.Input("coord", Float, "n", 2);

        // [1, C', h, w] -> [h*w, C'] so row p is low-res pixel p = i*w + j.
        OnnxValue Rows(OnnxValue t, long channels) => onnx.Transpose(onnx.Reshape(t, channels, -1), 1, 0);
        var a = onnx.Gather(Rows(onnx.Conv(feat, "a", wA, null), k), idx);
        var hidden1 = onnx.Relu(onnx.Add(a, onnx.Linear(coord, "r", wR, bR)));
        var hidden2 = onnx.Relu(onnx.Linear(hidden1, "l2", w2, b2));
        var gm = onnx.Reshape(onnx.Gather(Rows(onnx.Conv(feat, "g", wG, null), 3 * k), idx), -1, 3, k);
        var bias = onnx.Gather(Rows(onnx.Conv(feat, "b", wB, null), 3), idx);
        var pred = onnx.Add(onnx.Squeeze(onnx.MatMul(gm, onnx.Unsqueeze(hidden2, 2)), 2), bias);
        onnx.Output(pred, "pred", Float, "n", 3);

        // The same rows through GatherND on an [h, w, C] view.
        var hwc = onnx.Transpose(onnx.Squeeze(feat, 0), 1, 2, 0);
        onnx.Output(onnx.GatherND(hwc, ij), "nd", Float, "n", c);
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var ((h, w), n) in Sizes.Zip(new[] { 500, 777 }))
        {
            var input = Randn(g, 1, c, h, w);
            var ti = randint(h, new long[] { n }, generator: g);
            var tj = randint(w, new long[] { n }, generator: g);
            var flat = (ti * w) + tj;
            var tij = stack([ti, tj], 1);
            var tc = (rand(new long[] { n, 2 }, generator: g) * 2) - 1;
            var result = model.Run(("feat", input), ("idx", flat), ("ij", tij), ("coord", tc));

            Tensor RowsT(Tensor t) => t.reshape(t.shape[1], -1).t();
            var ea = RowsT(F.conv2d(input, wA)).index_select(0, flat);
            var e1 = F.relu(ea + F.linear(tc, wR, bR));
            var e2 = F.relu(F.linear(e1, w2, b2));
            var eg = RowsT(F.conv2d(input, wG)).index_select(0, flat).reshape(-1, 3, k);
            var eb = RowsT(F.conv2d(input, wB)).index_select(0, flat);
            var expected = matmul(eg, e2.unsqueeze(2)).squeeze(2) + eb;
            AssertClose(expected, result["pred"], $"liff chunk {h}x{w} n={n}");
            AssertClose(input[0].permute(1, 2, 0)[ti, tj], result["nd"], $"gathernd {h}x{w}");
        }
    }

    [Fact]
    public void ShapeAndLayoutOps()
    {
        using var scope = NewDisposeScope();
        var g = Seeded(12);
        var gw = Randn(g, 6, 4);
        var gb = Randn(g, 4);

        var onnx = new OnnxGraphBuilder("layout");
        var x = onnx.Input("x", Float, 1, 6, "H", "W");
        var shape = onnx.Shape(x);
        onnx.Output(shape, "shape", Int64, 4);
        onnx.Output(onnx.Cast(onnx.Shape(x, 2), Float), "hw_float", Float, 2);
        var parts = onnx.Split(x, 1, 2, 4);
        onnx.Output(parts[0], "split0", Float, null);
        onnx.Output(parts[1], "split1", Float, null);
        onnx.Output(onnx.Concat(1, parts[1], parts[0]), "concat", Float, null);
        onnx.Output(onnx.Slice(x, [1, 0], [5, long.MaxValue], [1, 3], [2, 3]), "slice", Float, null);
        onnx.Output(onnx.Unsqueeze(onnx.Squeeze(x, 0), 3), "unsq", Float, null);
        var rows = onnx.Transpose(onnx.Reshape(x, 6, -1), 1, 0);                     // [H*W, 6]
        onnx.Output(onnx.Gemm(rows, onnx.Initializer("gw", gw), onnx.Initializer("gb", gb), alpha: 0.5f, beta: 2f), "gemm", Float, null);
        onnx.Output(onnx.Reshape(rows, onnx.Concat(0, onnx.Shape(x, 2), onnx.Constant(6))), "reshape_dyn", Float, null);
        onnx.Output(onnx.Pad(x, [0, 0, 1, 2, 0, 0, 3, 0]), "pad_const", Float, null);
        using var model = new OrtModel(onnx.ToBytes());

        foreach (var (h, w) in Sizes)
        {
            var input = Randn(g, 1, 6, h, w);
            var y = model.Run(("x", input));
            AssertClose(tensor(new long[] { 1, 6, h, w }), y["shape"], "shape");
            AssertClose(tensor(new float[] { h, w }), y["hw_float"], "cast");
            var s = input.split(new long[] { 2, 4 }, 1);
            AssertClose(s[0], y["split0"], "split0");
            AssertClose(s[1], y["split1"], "split1");
            AssertClose(cat([s[1], s[0]], 1), y["concat"], "concat");
            AssertClose(input[TensorIndex.Colon, TensorIndex.Slice(1, 5, 2), TensorIndex.Colon, TensorIndex.Slice(0, null, 3)], y["slice"], "slice");
            AssertClose(input.squeeze(0).unsqueeze(3), y["unsq"], "squeeze/unsqueeze");
            var trows = input.reshape(6, -1).t();
            AssertClose((0.5f * trows.matmul(gw)) + (2f * gb), y["gemm"], "gemm");
            AssertClose(trows.reshape(h, w, 6), y["reshape_dyn"], "reshape (dynamic shape)");
            // ONNX pads: begin (H 1, W 2), end (H 3, W 0); torch order: (left, right, top, bottom).
            AssertClose(F.pad(input, [2, 0, 1, 3]), y["pad_const"], "pad constant");
        }
    }
}
