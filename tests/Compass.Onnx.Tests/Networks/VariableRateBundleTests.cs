using System.Diagnostics;
using Compass.Bitstream;
using Compass.Bundles;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Testing;
using Xunit.Abstractions;

namespace Compass.Onnx.Tests.Networks;

/// <summary>
/// The variable-rate contract on real networks: the embedded default model's graphs (a ladder's q3 bundle, or the
/// variable-rate bundle's step-1 graphs) written once as a format-1 bundle of quality 3 and once as a format-2 bundle
/// with rate anchors (log-step 0 at quality 3, 0.5 ln(lambda_3 / lambda_q) at the other ladder points): quality 3 codes
/// exactly as the format-1 bundle does, the qualities between code too, and byte targets are met.
/// </summary>
public sealed class VariableRateBundleTests(ITestOutputHelper log)
{
    private static readonly OnnxRuntimeOptions Cpu = new() { Provider = ExecutionProvider.Cpu, IntraOpThreads = 2 };
    private static readonly double[] Lambdas = [0.0018, 0.0035, 0.0067, 0.0130];
    private static readonly LayerPlan Plan = LayerPlan.Parse("192x128,384x256");

    private static PixelBuffer Image() =>
        ImageSharpLoader.LoadPixels(Path.Combine(AppContext.BaseDirectory, "Assets", "kodim23.png"));

    // Graphs at quantisation step 1: a ladder's q3 bundle, or the variable-rate default itself (its graphs are unfolded).
    private static ModelBundle? DefaultGraphs()
    {
        using var stream = typeof(OnnxCompassModel).Assembly.GetManifestResourceStream(OnnxCompassModel.DefaultResourceName);
        if (stream is null) return null;
        var bundles = ModelBundle.LoadAll(stream, "default");
        return bundles.FirstOrDefault(b => b.Manifest.Qualities is [3]) ?? bundles.FirstOrDefault(b => b.Manifest.Rate is not null);
    }

    private static string WriteSingleRate(ModelBundle graphs, TempDir dir)
    {
        var files = graphs.FileNames.ToDictionary(n => n, n => graphs.GetBytes(n).ToArray());
        var manifest = ModelBundleWriter.CreateManifest("single-rate-q3", graphs.Manifest.Preset, [3], [Lambdas[2]], files, config: graphs.Manifest.Config);
        ModelBundleWriter.WriteFolder(dir.Path, manifest, files);
        return dir.Path;
    }

    private static string WriteVariableRate(ModelBundle q3, TempDir dir)
    {
        var files = q3.FileNames.ToDictionary(n => n, n => q3.GetBytes(n).ToArray());
        var anchors = Lambdas.Select((lambda, i) =>
        {
            double s = i == 2 ? 0 : 0.5 * Math.Log(Lambdas[2] / lambda);
            return new RateAnchor(i + 1, lambda, s, s);
        });
        var manifest = ModelBundleWriter.CreateManifest("variable-rate-from-q3", q3.Manifest.Preset, new RateAnchors(anchors), files, config: q3.Manifest.Config);
        ModelBundleWriter.WriteFolder(dir.Path, manifest, files);
        return dir.Path;
    }

    private static (byte[] Bytes, EncodeResult Result) Encode(CompassModel model, EncodeOptions options, PixelBuffer image)
    {
        using var output = new MemoryStream();
        var result = new ScalableEncoder(model).Encode(image, Plan, output, options);
        return (output.ToArray(), result);
    }

    private static List<LayerPayload> Payloads(byte[] stream)
    {
        using var reader = new BitstreamReader(new MemoryStream(stream));
        reader.ReadHeader();
        var layers = new List<LayerPayload>();
        while (reader.ReadLayer() is { } layer) layers.Add(layer);
        return layers;
    }

    [SkippableFact]
    public void AFormat2BundleOfTheQ3Graphs_CodesQ3Exactly_AndEveryQualityBetween()
    {
        var q3 = DefaultGraphs();
        Skip.If(q3 is null, "this build embeds no default model");
        using var dir = new TempDir();
        using var singleDir = new TempDir();
        using var variable = OnnxCompassModel.Load(WriteVariableRate(q3, dir), Cpu);
        using var single = OnnxCompassModel.Load(WriteSingleRate(q3, singleDir), Cpu);
        Assert.Equal(new Quality(1), variable.MinQuality);
        Assert.Equal(new Quality(4), variable.MaxQuality);
        Assert.True(variable.IsAvailable(new Quality(2.5)));
        Assert.False(single.IsAvailable(new Quality(2.5)));
        var image = Image();

        // Quality 3, log-step 0: step exactly 1, so the very same z and y strings (hence symbols) as the format-1 bundle.
        var (singleBytes, _) = Encode(single, new EncodeOptions { Quality = new Quality(3) }, image);
        var (variableBytes, atAnchor) = Encode(variable, new EncodeOptions { Quality = new Quality(3) }, image);
        Assert.All(atAnchor.LayerRates, r => Assert.Equal(65536, r.StepQ16));
        var a = Payloads(singleBytes);
        var b = Payloads(variableBytes);
        for (int k = 0; k < Plan.Count; k++)
        {
            Assert.Equal(a[k].ZStream.ToArray(), b[k].ZStream.ToArray());
            Assert.Equal(a[k].YStream.ToArray(), b[k].YStream.ToArray());
        }

        // Between anchors the size is between theirs; the stream decodes to the encoder's own reconstruction.
        var sizes = new Dictionary<double, long>();
        foreach (double q in new[] { 1, 2, 2.5, 3, 3.5, 4 })
            sizes[q] = Encode(variable, new EncodeOptions { Quality = new Quality(q) }, image).Result.TotalBytes;
        log.WriteLine("bytes by quality: " + string.Join(", ", sizes.Select(p => $"{p.Key}: {p.Value}")));
        Assert.True(sizes[2] < sizes[2.5] && sizes[2.5] < sizes[3] && sizes[3] < sizes[3.5] && sizes[3.5] < sizes[4]);
        Assert.Equal(singleBytes.Length, sizes[3]);

        var (between, result) = Encode(variable, new EncodeOptions { LayerQualities = [new Quality(2.5), new Quality(3.25)], KeepReconstructions = true }, image);
        using var decoded = new ScalableDecoder(variable).Decode(between);
        for (int k = 0; k < Plan.Count; k++)
            Assert.Equal(result.Reconstructions![k].Data, decoded.Layers[k].Reconstruction.Data);
        var references = ScalableEncoder.CreateLayerImages(image, Plan);
        log.WriteLine($"2.5/3.25: {between.Length} bytes, PSNR {ImageMetrics.Psnr(references[1], decoded.Layers[1].Pixels):F3} dB");
    }

    [SkippableFact]
    public void ByteTargets_OnRealNetworks_NeverOver_AndWithinThreePercent()
    {
        var q3 = DefaultGraphs();
        Skip.If(q3 is null, "this build embeds no default model");
        using var dir = new TempDir();
        using var variable = OnnxCompassModel.Load(WriteVariableRate(q3, dir), Cpu);
        var image = Image();
        long low = Encode(variable, new EncodeOptions { Quality = new Quality(1) }, image).Result.TotalBytes;
        long high = Encode(variable, new EncodeOptions { Quality = new Quality(4) }, image).Result.TotalBytes;
        foreach (double fraction in new[] { 0.3, 0.7 })
        {
            long target = low + (long)((high - low) * fraction);
            var watch = Stopwatch.StartNew();
            var (bytes, result) = Encode(variable, new EncodeOptions { TargetBytes = target }, image);
            log.WriteLine($"target {target}: {bytes.Length} bytes ({100.0 * bytes.Length / target:F1}%) at quality {result.Quality}, {watch.ElapsedMilliseconds} ms");
            Assert.InRange(bytes.Length, (long)Math.Ceiling(0.97 * target), target);
        }

        long b0 = Encode(variable, new EncodeOptions { Quality = new Quality(2) }, image).Result.Layers[0].AccumulatedBytes;
        long b1 = (low + high) / 2;
        var perLayer = Encode(variable, new EncodeOptions { LayerByteBudgets = [b0, b1] }, image).Result;
        log.WriteLine($"layer budgets {b0},{b1}: {perLayer.Layers[0].AccumulatedBytes},{perLayer.Layers[1].AccumulatedBytes} at {string.Join(", ", perLayer.LayerRates)}");
        Assert.InRange(perLayer.Layers[0].AccumulatedBytes, (long)Math.Ceiling(0.97 * b0), b0);
        Assert.InRange(perLayer.Layers[1].AccumulatedBytes, (long)Math.Ceiling(0.97 * b1), b1);
    }
}
