using System.Text.Json;
using Compass.Bundles;
using Compass.Testing;

namespace Compass.Onnx.Tests.Networks;

/// <summary>
/// Loading failures of <see cref="OnnxCompassModel"/> that need no exporter (full round trips through
/// exported bundles live in Compass.Training.Tests/Export, which has both sides).
/// </summary>
public class OnnxCompassModelTests
{
    private static readonly OnnxRuntimeOptions Cpu = new() { Provider = ExecutionProvider.Cpu };

    [Fact]
    public void MissingPath_IsFileNotFound()
    {
        using var dir = new TempDir();
        Assert.Throws<FileNotFoundException>(() => OnnxCompassModel.Load(dir.Combine("nope"), Cpu));
    }

    [Fact]
    public void FolderWithoutBundles_IsAFormatError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("readme.txt"), "not a bundle");
        Assert.Throws<CompassFormatException>(() => OnnxCompassModel.Load(dir.Path, Cpu));
    }

    [Fact]
    public void BundleWithoutConfigOrGraphs_IsAFormatError()
    {
        using var dir = new TempDir();
        var files = new Dictionary<string, byte[]> { ["bl/analysis.onnx"] = TinyModel.Bytes };
        ModelBundleWriter.WriteFolder(dir.Path, ModelBundleWriter.CreateManifest("tiny", "tiny", [1], [], files), files);
        var ex = Assert.Throws<CompassFormatException>(() => OnnxCompassModel.Load(dir.Path, Cpu));
        Assert.Contains("config", ex.Message);

        var config = JsonDocument.Parse("""
            {"base":{"N":2,"M":2},"residual":{"N":2,"M":2},"liff":{"featureWidth":1,"blocks":1,"layersPerBlock":1,"growthRate":1,"hiddenWidth":1,"hiddenLayers":0}}
            """).RootElement;
        using var dir2 = new TempDir();
        ModelBundleWriter.WriteFolder(dir2.Path, ModelBundleWriter.CreateManifest("tiny", "tiny", [1], [], files, null, config), files);
        ex = Assert.Throws<CompassFormatException>(() => OnnxCompassModel.Load(dir2.Path, Cpu));
        Assert.Contains("bl/hyper_synthesis.onnx", ex.Message);
    }

    [Fact]
    public void LoadDefault_WithoutAnEmbeddedModel_ThrowsInvalidOperation()
    {
        if (typeof(OnnxCompassModel).Assembly.GetManifestResourceNames().Contains(OnnxCompassModel.DefaultResourceName))
        {
            return; // a build with the default model: covered by the sample and the end-to-end tests
        }

        var ex = Assert.Throws<InvalidOperationException>(() => OnnxCompassModel.LoadDefault(Cpu));
        Assert.Contains("No default model is embedded", ex.Message);
    }
}
