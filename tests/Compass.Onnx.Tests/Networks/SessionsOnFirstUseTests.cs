using Compass.Bundles;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Pipeline;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Onnx.Tests;

/// <summary>
/// <see cref="OnnxRuntimeOptions.CreateSessionsOnFirstUse"/>: a load creates no session, a decode creates only the graphs
/// it runs (never the analysis graphs), and nothing it computes differs by a bit from a model whose sessions were all
/// created at load.
/// </summary>
public sealed class SessionsOnFirstUseTests
{
    private static readonly string[] Graphs =
    [
        "bl/analysis.onnx", "bl/hyper_synthesis.onnx", "bl/synthesis.onnx",
        "el/analysis.onnx", "el/hyper_synthesis.onnx", "el/synthesis.onnx",
        "liff/features.onnx", "liff/predict.onnx",
    ];

    [Fact]
    public async Task DecodeCreatesOnlyTheGraphsItRuns_AndEveryBitMatchesEagerSessions()
    {
        if (!typeof(OnnxCompassModel).Assembly.GetManifestResourceNames().Contains(OnnxCompassModel.DefaultResourceName))
        {
            return; // a build without the default model has nothing to run
        }

        using var eager = OnnxCompassModel.Create([Bundle()], new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        using var lazy = OnnxCompassModel.Create([Bundle()], new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu, CreateSessionsOnFirstUse = true });
        int q = lazy.DefaultQuality;
        Assert.All(Graphs, g => Assert.True(eager.HasSession(q, g), g));
        Assert.All(Graphs, g => Assert.False(lazy.HasSession(q, g), g));
        Assert.Equal(ExecutionProvider.Cpu, lazy.ActiveProvider);

        using var image = CreateImage(160, 96);
        var plan = LayerPlan.Parse("40x24,80x48,160x96");
        byte[] stream = new ScalableEncoder(eager).Encode(image, plan);

        // The base layer alone: its entropy decode and synthesis, nothing of the enhancement layers.
        using (var baseOnly = await new ScalableDecoder(lazy).DecodeAsync(new MemoryStream(stream), new DecodeOptions { MaxLayers = 1 }))
        {
            Assert.Single(baseOnly.Layers);
        }
        Assert.Equal(["bl/hyper_synthesis.onnx", "bl/synthesis.onnx"], Graphs.Where(g => lazy.HasSession(q, g)));

        using var expected = await new ScalableDecoder(eager).DecodeAsync(new MemoryStream(stream));
        using var actual = await new ScalableDecoder(lazy).DecodeAsync(new MemoryStream(stream));
        Assert.Equal(3, actual.Layers.Count);
        for (int k = 0; k < 3; k++)
            Assert.Equal(expected.Layers[k].Reconstruction.Data, actual.Layers[k].Reconstruction.Data);
        Assert.Equal(Graphs.Where(g => !g.EndsWith("analysis.onnx", StringComparison.Ordinal)), Graphs.Where(g => lazy.HasSession(q, g)));

        // Encoding then creates the analysis graphs, and writes the same bytes.
        Assert.Equal(stream, new ScalableEncoder(lazy).Encode(image, plan));
        Assert.All(Graphs, g => Assert.True(lazy.HasSession(q, g), g));
    }

    [Fact]
    public void AGraphThatIsNotOnnx_FailsItsFirstRun_WithTheLoadsFormatError()
    {
        if (!typeof(OnnxCompassModel).Assembly.GetManifestResourceNames().Contains(OnnxCompassModel.DefaultResourceName))
        {
            return;
        }

        // The default bundle with bl/synthesis.onnx replaced by bytes that are no ONNX model (the manifest re-hashed).
        var original = Bundle();
        var files = original.FileNames.ToDictionary(f => f, f => original.GetBytes(f).ToArray());
        files["bl/synthesis.onnx"] = [1, 2, 3, 4];
        using var dir = new Compass.Testing.TempDir();
        var manifest = original.Manifest;
        ModelBundleWriter.WriteFolder(dir.Path, manifest.Rate is { } rate
            ? ModelBundleWriter.CreateManifest(manifest.Name, manifest.Preset, rate, files, manifest.Card, manifest.Config)
            : ModelBundleWriter.CreateManifest(manifest.Name, manifest.Preset, manifest.Qualities, manifest.Lambdas, files, manifest.Card, manifest.Config), files);

        var eagerError = Assert.Throws<CompassFormatException>(() => OnnxCompassModel.Load(dir.Path, new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu }));
        Assert.Contains("bl/synthesis.onnx", eagerError.Message);

        using var lazy = OnnxCompassModel.Load(dir.Path, new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu, CreateSessionsOnFirstUse = true });
        var networks = lazy.GetNetworks(lazy.DefaultQuality);
        var latent = new LatentTensor(networks.GetTables(CodecRole.Base).HyperScales!.YChannels, 2, 2);
        var firstRun = Assert.Throws<CompassFormatException>(() => networks.Synthesize(CodecRole.Base, latent, 32, 32));
        Assert.Equal(eagerError.Message, firstRun.Message);
    }

    private static ModelBundle Bundle()
    {
        using var stream = typeof(OnnxCompassModel).Assembly.GetManifestResourceStream(OnnxCompassModel.DefaultResourceName)!;
        return ModelBundle.LoadAll(stream, "default")[0];
    }

    private static Image<Rgb24> CreateImage(int width, int height)
    {
        var random = new Random(5);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte n = (byte)random.Next(32);
                image[x, y] = new Rgb24((byte)((x * 255 / width) ^ n), (byte)((y * 255 / height) + n / 2), (byte)(((x + y) * 97) & 255));
            }
        }
        return image;
    }
}
