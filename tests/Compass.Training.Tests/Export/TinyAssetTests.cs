using Compass.Training.Export;
using Compass.Training.Export.OnnxProto;

namespace Compass.Training.Tests.Export;

/// <summary>
/// The tiny model that Compass.Onnx.Tests runs (it may not reference TorchSharp or this writer, so the
/// bytes are checked in). This test keeps the checked-in file equal to what the writer produces; set
/// COMPASS_WRITE_ASSETS=1 to rewrite it after a deliberate change.
/// </summary>
public class TinyAssetTests
{
    internal const string AssetRelativePath = "tests/Compass.Onnx.Tests/Assets/tiny_conv_add.onnx";

    /// <summary>
    /// x [1, 2, H, W] -> y = conv1x1(x, [[1, 2], [3, -1]], bias [0.5, -0.25]) + x, relu = Relu(x);
    /// so y0 = 2 x0 + 2 x1 + 0.5 and y1 = 3 x0 - 0.25.
    /// </summary>
    internal static OnnxGraphBuilder BuildTinyModel()
    {
        var onnx = new OnnxGraphBuilder("tiny_conv_add");
        var x = onnx.Input("x", OnnxElementType.Float, 1, 2, "H", "W");
        var w = onnx.Initializer("conv.weight", [1f, 2f, 3f, -1f], 2, 2, 1, 1);
        var b = onnx.Initializer("conv.bias", [0.5f, -0.25f], 2);
        onnx.Output(onnx.Add(onnx.Conv(x, w, b), x), "y", OnnxElementType.Float, 1, 2, "H", "W");
        onnx.Output(onnx.Relu(x), "relu", OnnxElementType.Float, 1, 2, "H", "W");
        return onnx;
    }

    [Fact]
    public void CheckedInTinyModel_MatchesTheWriter()
    {
        var path = Path.Combine(RepositoryRoot(), AssetRelativePath);
        var bytes = BuildTinyModel().ToBytes();
        if (Environment.GetEnvironmentVariable("COMPASS_WRITE_ASSETS") == "1")
        {
            File.WriteAllBytes(path, bytes);
        }

        Assert.True(File.Exists(path), $"{path} is missing; run this test with COMPASS_WRITE_ASSETS=1 to write it.");
        var expected = ModelProto.Parser.ParseFrom(bytes);
        var actual = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        actual.ProducerVersion = expected.ProducerVersion;   // a version bump alone is no change
        Assert.True(expected.Equals(actual), $"{path} differs from the writer's output; rerun with COMPASS_WRITE_ASSETS=1 if the change is intended.");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compass.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Compass.sln not found above " + AppContext.BaseDirectory);
    }
}
