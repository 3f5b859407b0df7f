using System.Text.Json;
using Compass.Bitstream;
using Compass.Bundles;
using Compass.ImageSharp;
using Compass.Onnx;
using Compass.Testing;
using Compass.Training.Export;
using Compass.Training.Modules;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Export;

/// <summary>
/// Export small random-init modules, load the bundle with <see cref="OnnxCompassModel"/> (CPU provider) and
/// run the real encoder and decoder: the decoder reproduces the encoder's reconstructions, identities and
/// corruption are enforced.
/// </summary>
public sealed class BundleEndToEndTests : IClassFixture<BundleEndToEndTests.ExportedBundles>
{
    private static readonly OnnxRuntimeOptions Cpu = new() { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1, InterOpThreads = 1 };

    /// <summary>Two exported bundles (qualities 1 and 3, different weights) shared by the tests.</summary>
    public sealed class ExportedBundles : IDisposable
    {
        public ExportedBundles()
        {
            Quality3 = Path.Combine(Root, "set", "q3");
            Quality1 = Path.Combine(Root, "set", "q1");
            Export(Quality3, 3, seed: 11, zip: true);
            Export(Quality1, 1, seed: 21, zip: false);
        }

        private readonly TempDir _root = new();

        public string Root => _root.Path;
        public string Quality3 { get; }
        public string Quality1 { get; }

        public void Dispose() => _root.Dispose();
    }

    /// <summary>Exports a bundle of small modules whose latents are large enough to code real symbols.</summary>
    internal static ModelBundleManifest Export(string folder, int quality, long seed, bool zip = false)
    {
        using var scope = NewDisposeScope();
        var baseCodec = BundleGraphParityTests.SmallCodec(seed);
        var residual = BundleGraphParityTests.SmallCodec(seed + 1);
        Amplify(baseCodec);
        Amplify(residual);
        var liff = BundleGraphParityTests.NewLiff(BundleGraphParityTests.SmallLiff, seed + 2);
        var card = JsonDocument.Parse("""{"steps": 0, "data": "random init (test)"}""").RootElement;
        return BundleExporter.Export(baseCodec, liff, residual,
            new BundleExportOptions { Name = $"e2e-q{quality}-{seed}", Preset = "test", Quality = quality, Lambda = 0.01, Card = card, Zip = zip }, folder);
    }

    // Random init gives |y| ~ 0.1 (everything rounds to 0); scale g_a's output up and g_s's input down.
    private static void Amplify(MeanScaleHyperprior codec)
    {
        using var _ = no_grad();
        var p = codec.named_parameters().ToDictionary(e => e.name, e => e.parameter);
        p["g_a.6.weight"].mul_(40);
        p["g_a.6.bias"].mul_(40);
        p["g_s.0.weight"].div_(40);
    }

    private readonly ITestOutputHelper _log;
    private readonly ExportedBundles _bundles;

    public BundleEndToEndTests(ITestOutputHelper log, ExportedBundles bundles)
    {
        _log = log;
        _bundles = bundles;
    }

    private static Image<Rgb24> TestImage(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(128 + 100 * Math.Sin(x / 13.0)), (byte)(x * y % 251), (byte)(255 * y / height));
        return image;
    }

    public static TheoryData<string> Plans => new()
    {
        "173x131",
        "87x66,173x131",
        "44x33,87x66,173x131",
        "24x18,32x24,44x33,87x66,173x131",
        "129x97,258x194,517x389",
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public void DecoderReproducesTheEncodersReconstructions(string planText)
    {
        var plan = LayerPlan.Parse(planText);
        var last = plan[plan.Count - 1];
        using var image = TestImage(last.Width, last.Height);
        using var model = OnnxCompassModel.Load(_bundles.Quality3, Cpu);
        Assert.Equal([3], model.Qualities);
        Assert.Equal(ExecutionProvider.Cpu, model.ActiveProvider);

        using var output = new MemoryStream();
        var result = new ScalableEncoder(model).Encode(image, plan, output, new EncodeOptions { Quality = new Quality(3), KeepReconstructions = true });
        using var decoded = new ScalableDecoder(model).Decode(output.ToArray());
        // Exported bundles carry the fixed-point scale branch, so streams use the machine-independent path.
        Assert.Equal(BitstreamFormat.FixedPointEntropyPath, decoded.Header.EntropyPathVersion);
        Assert.Equal(plan.Count, decoded.Layers.Count);
        for (int k = 0; k < plan.Count; k++)
        {
            Assert.Equal(plan[k], decoded.Layers[k].Size);
            var expected = result.Reconstructions![k].Data;
            var actual = decoded.Layers[k].Reconstruction.Data;
            Assert.Equal(expected.Length, actual.Length);
            float worst = 0;
            for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
            _log.WriteLine($"{planText} layer {k} {plan[k]}: {result.Layers[k].PayloadBytes} bytes, max |decoder - encoder| {worst:E2}");
            Assert.True(worst <= 1f / 255, $"layer {k}: decoder differs from encoder by {worst}");
        }
        Assert.True(result.TotalBytes > 40 * plan.Count, $"only {result.TotalBytes} bytes: the test codes no real symbols");
    }

    [Fact]
    public void PathList_FolderAndZip_LoadBothQualities_AndAFolderWithADuplicateQualityFails()
    {
        var zip = _bundles.Quality3 + ".zip";
        using (var model = OnnxCompassModel.Load([_bundles.Quality1, zip], Cpu))
        {
            Assert.Equal([1, 3], model.Qualities);
            Assert.Equal(3, model.DefaultQuality);
            Assert.NotEqual(model.Identities[0], model.Identities[1]);
            Assert.Equal(ModelBundle.Load(_bundles.Quality3).Identity, model.Identities[1]);
            Assert.Contains("preset test", model.Description);
            Assert.True(model.HasSessions(3)); // the default quality loads eagerly, so load errors show at once
            Assert.False(model.HasSessions(1)); // the others on first use
            Assert.NotNull(model.GetNetworks(1));
            Assert.True(model.HasSessions(1));
            Assert.Throws<ArgumentOutOfRangeException>(() => model.GetNetworks(2));
        }

        // set/ holds q1/, q3/ and q3.zip: quality 3 twice.
        var ex = Assert.Throws<CompassFormatException>(() => OnnxCompassModel.Load(Path.GetDirectoryName(_bundles.Quality3)!, Cpu));
        Assert.Contains("quality 3", ex.Message);
    }

    [Fact]
    public void ZipWithSeveralBundles_LoadsEveryQuality()
    {
        using var dir = Root();
        Directory.CreateDirectory(dir.Path);
        var zipPath = Path.Combine(dir.Path, "set.zip");
        using (var zip = System.IO.Compression.ZipFile.Open(zipPath, System.IO.Compression.ZipArchiveMode.Create))
        {
            foreach (var (folder, top) in new[] { (_bundles.Quality1, "q1"), (_bundles.Quality3, "q3") })
                foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
                    System.IO.Compression.ZipFileExtensions.CreateEntryFromFile(zip, file, top + "/" + Path.GetRelativePath(folder, file).Replace('\\', '/'));
        }
        using var model = OnnxCompassModel.Load(zipPath, Cpu);
        Assert.Equal([1, 3], model.Qualities);
        Assert.Equal(ModelBundle.Load(_bundles.Quality1).Identity, model.Identities[0]);
    }

    [Fact]
    public void StreamFromAnotherBundle_IsRefused()
    {
        using var image = TestImage(64, 48);
        var plan = LayerPlan.Parse("32x24,64x48");
        using var q3 = OnnxCompassModel.Load(_bundles.Quality3, Cpu);
        var bytes = new ScalableEncoder(q3).Encode(image, plan, new EncodeOptions { Quality = new Quality(3) });

        using var other = Root();
        Export(other.Path, 3, seed: 99);
        using var wrong = OnnxCompassModel.Load(other.Path, Cpu);
        Assert.Throws<CompassFormatException>(() => new ScalableDecoder(wrong).Decode(bytes));
        using var right = new ScalableDecoder(q3).Decode(bytes);
        Assert.Equal(2, right.Layers.Count);
    }

    [Fact]
    public void CorruptedGraph_FailsAtLoad()
    {
        using var dir = Root();
        CopyFolder(_bundles.Quality3, dir.Path);
        var file = Path.Combine(dir.Path, "el", "synthesis.onnx");
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(file, bytes);
        var ex = Assert.Throws<CompassFormatException>(() => OnnxCompassModel.Load(dir.Path, Cpu));
        Assert.Contains("el/synthesis.onnx", ex.Message);
    }

    [Fact]
    public void ValidHashes_ButInvalidContent_FailAtLoad()
    {
        var original = ModelBundle.Load(_bundles.Quality3);
        var files = original.FileNames.ToDictionary(n => n, n => original.GetBytes(n).ToArray());

        // A CDF that does not end at 65536.
        var tables = files["bl/entropy.json"];
        var text = System.Text.Encoding.UTF8.GetString(tables).Replace("65536]", "65535]");
        Assert.Throws<CompassFormatException>(() => Rewrite(files, "bl/entropy.json", System.Text.Encoding.UTF8.GetBytes(text), original.Manifest.Config));

        // Not an ONNX model.
        Assert.Throws<CompassFormatException>(() => Rewrite(files, "liff/predict.onnx", [1, 2, 3, 4], original.Manifest.Config));

        // A config that does not match the graphs.
        var raw = original.Manifest.Config!.Value.GetRawText();
        var wider = raw.Replace("\"hiddenWidth\": 16", "\"hiddenWidth\": 32").Replace("\"hiddenWidth\":16", "\"hiddenWidth\":32");
        Assert.NotEqual(raw, wider);
        var config = JsonDocument.Parse(wider).RootElement;
        var ex = Assert.Throws<CompassFormatException>(() => Rewrite(files, "liff/predict.onnx", files["liff/predict.onnx"], config));
        Assert.Contains("config", ex.Message);

        // No config at all: not a COMPASS bundle.
        Assert.Throws<CompassFormatException>(() => Rewrite(files, "liff/predict.onnx", files["liff/predict.onnx"], null));
    }

    [Fact]
    public void RuntimePredict_InSmallChunks_MatchesTorchLiff_AndHonoursCancellation()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var liff = BundleGraphParityTests.NewLiff(BundleGraphParityTests.SmallLiff, 11 + 2); // the q3 bundle's LIFF
        var source = rand([1, 3, 19, 27], generator: Parity.Seeded(3));
        var expected = liff.Predict(source, 37, 53).squeeze(0).contiguous().data<float>().ToArray();
        var previous = new Imaging.PlanarImage(27, 19, source.contiguous().data<float>().ToArray());

        using var model = OnnxCompassModel.Create([ModelBundle.Load(_bundles.Quality3)], Cpu, predictChunk: 97);
        var networks = model.GetNetworks(3);
        var predicted = networks.Predict(previous, 53, 37, CancellationToken.None).Data;
        float worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - predicted[i]));
        _log.WriteLine($"runtime LIFF (chunks of 97) vs torch: max abs diff {worst:E2}");
        Assert.True(worst <= 1e-4f, $"max abs diff {worst}");

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => networks.Predict(previous, 53, 37, cancelled.Token));
    }

    [Fact]
    public void OneModel_EncodesFromSeveralThreads_ToTheSameBytes()
    {
        var plan = LayerPlan.Parse("44x33,87x66");
        using var image = TestImage(87, 66);
        using var model = OnnxCompassModel.Load(_bundles.Quality3, Cpu);
        var expected = new ScalableEncoder(model).Encode(image, plan, new EncodeOptions { Quality = new Quality(3) });
        var results = new byte[4][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            using var copy = image.Clone();
            results[i] = new ScalableEncoder(model).Encode(copy, plan, new EncodeOptions { Quality = new Quality(3) });
        });
        foreach (var r in results) Assert.Equal(expected, r);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.GetNetworks(3));
    }

    [Fact]
    public void LoadDefault_WithoutAnEmbeddedModel_SaysSo()
    {
        if (typeof(OnnxCompassModel).Assembly.GetManifestResourceNames().Contains(OnnxCompassModel.DefaultResourceName))
        {
            using var model = OnnxCompassModel.LoadDefault(Cpu);
            Assert.NotEmpty(model.Qualities);
            return;
        }
        var ex = Assert.Throws<InvalidOperationException>(() => OnnxCompassModel.LoadDefault(Cpu));
        Assert.Contains("No default model is embedded", ex.Message);
    }

    private void Rewrite(Dictionary<string, byte[]> files, string name, byte[] content, JsonElement? config)
    {
        using var dir = Root();
        var changed = new Dictionary<string, byte[]>(files) { [name] = content };
        var manifest = ModelBundleWriter.CreateManifest("rewritten", "test", [3], [], changed, null, config);
        ModelBundleWriter.WriteFolder(dir.Path, manifest, changed);
        try
        {
            using var model = OnnxCompassModel.Load(dir.Path, Cpu);
        }
        catch (CompassFormatException ex)
        {
            _log.WriteLine($"{name}: {ex.Message}");
            throw;
        }
    }

    private TempDir Root() => new(_bundles.Root);

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
