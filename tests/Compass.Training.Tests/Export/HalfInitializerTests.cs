using Compass.Training.Export;
using Compass.Training.Export.OnnxProto;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Export;

public class HalfInitializerTests
{
    private static byte[] ConvModel(Tensor weight, Tensor bias, bool halves)
    {
        var onnx = new OnnxGraphBuilder("conv") { StoreExactHalves = halves };
        var x = onnx.Input("x", OnnxElementType.Float, 1, 8, "H", "W");
        onnx.Output(onnx.Conv(x, "c", weight, bias, padding: 1), "y", OnnxElementType.Float, 1, 16, "H", "W");
        return onnx.ToBytes();
    }

    [Fact]
    public void ExactWeights_AreStoredAsHalvesBehindACast_AndComputeTheSameBits()
    {
        manual_seed(3);
        using var weight = randn(16, 8, 3, 3).to(ScalarType.Float16).to(ScalarType.Float32); // exact in fp16
        using var bias = randn(16);
        using var input = randn(1, 8, 20, 24);

        var full = ConvModel(weight, bias, halves: false);
        var half = ConvModel(weight, bias, halves: true);

        var graph = ModelProto.Parser.ParseFrom(half).Graph;
        var w = graph.Initializer.Single(i => i.Name == "c.weight__f16");
        Assert.Equal((int)TensorProto.Types.DataType.Float16, w.DataType);
        Assert.Equal(16 * 8 * 9 * 2, w.RawData.Length);
        Assert.Equal((int)TensorProto.Types.DataType.Float, graph.Initializer.Single(i => i.Name == "c.bias").DataType); // 16 elements: too small
        Assert.Equal("Cast", graph.Node[0].OpType);
        Assert.Equal("c.weight", graph.Node[0].Output[0]);
        Assert.True(half.Length < full.Length * 0.6, $"{half.Length} vs {full.Length} bytes");

        using var a = new OrtModel(full);
        using var b = new OrtModel(half);
        using var ya = a.Run(("x", input))["y"];
        using var yb = b.Run(("x", input))["y"];
        Assert.Equal(ya.data<float>().ToArray(), yb.data<float>().ToArray());
    }

    [Fact]
    public void InexactWeights_StayFloat()
    {
        manual_seed(4);
        using var weight = randn(16, 8, 3, 3);
        using var bias = randn(16);

        var graph = ModelProto.Parser.ParseFrom(ConvModel(weight, bias, halves: true)).Graph;

        Assert.All(graph.Initializer, i => Assert.Equal((int)TensorProto.Types.DataType.Float, i.DataType));
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Cast");
    }

    [Theory]
    [InlineData(1e-10f)] // below fp16's smallest subnormal
    [InlineData(70000f)] // above fp16's largest finite value
    [InlineData(0.1f)]
    public void TryToHalves_RejectsValuesFp16CannotHoldExactly(float value) =>
        Assert.False(HalfInitializers.TryToHalves([1f, value], out _));

    [Fact]
    public void TryToHalves_KeepsSignedZeroAndSubnormals()
    {
        float[] values = [-0f, 0f, (float)Half.Epsilon, -65504f, 0.5f];
        Assert.True(HalfInitializers.TryToHalves(values, out var halves));
        Assert.Equal(values, halves.Select(h => (float)h));
        Assert.True(float.IsNegative((float)halves[0]));
    }
}
