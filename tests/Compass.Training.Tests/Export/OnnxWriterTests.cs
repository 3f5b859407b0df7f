using System.Runtime.InteropServices;
using Compass.Training.Export;
using Compass.Training.Export.OnnxProto;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Export;

public class OnnxWriterTests
{
    [Fact]
    public void Model_HasOpsetIrVersionProducerAndSymbolicDims()
    {
        var onnx = new OnnxGraphBuilder("header");
        var x = onnx.Input("x", OnnxElementType.Float, 1, 3, "H", "W");
        onnx.Output(onnx.Relu(x), "y", OnnxElementType.Float, 1, 3, "H", "W");
        onnx.Metadata("preset", "tiny");

        var model = ModelProto.Parser.ParseFrom(onnx.ToBytes());

        Assert.Equal(8, model.IrVersion);
        var opset = Assert.Single(model.OpsetImport);
        Assert.Equal("", opset.Domain);
        Assert.Equal(17, opset.Version);
        Assert.Equal("Compass", model.ProducerName);
        Assert.Equal("tiny", Assert.Single(model.MetadataProps).Value);
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        Assert.Equal(1, dims[0].DimValue);
        Assert.Equal("H", dims[2].DimParam);
        Assert.Equal("W", dims[3].DimParam);
        Assert.Equal(["Relu", "Identity"], model.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void TorchInitializer_IsCopiedAsLittleEndianRawData()
    {
        using var t = arange(6, dtype: ScalarType.Float64).reshape(2, 3) / 4;
        var onnx = new OnnxGraphBuilder("init");
        onnx.Initializer("w", t);

        var init = Assert.Single(ModelProto.Parser.ParseFrom(onnx.ToBytes()).Graph.Initializer);

        Assert.Equal("w", init.Name);
        Assert.Equal((int)TensorProto.Types.DataType.Float, init.DataType);
        Assert.Equal(new long[] { 2, 3 }, init.Dims);
        Assert.Equal(new float[] { 0, 0.25f, 0.5f, 0.75f, 1, 1.25f }, MemoryMarshal.Cast<byte, float>(init.RawData.Span).ToArray());
    }

    [Fact]
    public void ZeroValuedAttributes_AreWritten()
    {
        // proto2 semantics: group = 0 style defaults must still reach the file when set explicitly.
        var onnx = new OnnxGraphBuilder("attrs");
        var a = onnx.Input("a", OnnxElementType.Float, 2, 2);
        onnx.Output(onnx.Gemm(a, a), "y", OnnxElementType.Float, 2, 2);
        var gemm = ModelProto.Parser.ParseFrom(onnx.ToBytes()).Graph.Node[0];
        Assert.True(gemm.Attribute.Single(x => x.Name == "transA").HasI);
    }

    [Fact]
    public void DuplicateNamesAndWrongElementCounts_Throw()
    {
        var onnx = new OnnxGraphBuilder("bad");
        onnx.Input("x", OnnxElementType.Float, 1);
        Assert.Throws<ArgumentException>(() => onnx.Initializer("x", [1f], 1));
        Assert.Throws<ArgumentException>(() => onnx.Initializer("w", [1f, 2f], 3));
    }

    [Fact]
    public void Constants_AreDeduplicated()
    {
        var onnx = new OnnxGraphBuilder("consts");
        Assert.Equal(onnx.Constant(2, 3), onnx.Constant(2, 3));
        Assert.NotEqual(onnx.Constant(2, 3), onnx.Constant(3, 2));
    }

    [Fact]
    public void SaveAndWriteTo_GiveTheSameBytes()
    {
        var onnx = TinyAssetTests.BuildTinyModel();
        var path = Path.Combine(Path.GetTempPath(), $"compass-{Guid.NewGuid():N}.onnx");
        try
        {
            onnx.Save(path);
            using var ms = new MemoryStream();
            onnx.WriteTo(ms);
            Assert.Equal(onnx.ToBytes(), File.ReadAllBytes(path));
            Assert.Equal(onnx.ToBytes(), ms.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
