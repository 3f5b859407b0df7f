using System.Diagnostics;
using System.Globalization;
using Compass.Bundles;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Onnx;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Benchmarks.Profiling;

/// <summary>
/// <c>profile [image] [repeats] [intra] [inter] [chunk]</c>: Stopwatch per pipeline stage of a 3-layer encode
/// and decode with the default model on the CPU provider (medians over the repeats), and the two LIFF
/// graphs timed on their own. A diagnostic for finding where the time goes, not a benchmark.
/// </summary>
internal static class PipelineProfile
{
    public static void Run(string[] args)
    {
        string imagePath = args.Length > 0 ? args[0] : BenchmarkImages.KodakPath();
        int repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        int intra = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 0;
        int inter = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 0;
        bool spin = args.Length > 4 && args[4] == "1";
        int chunk = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 16384;
        var options = new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = intra, InterOpThreads = inter, AllowSpinning = spin };

        var load = Stopwatch.StartNew();
        using var onnx = OnnxCompassModel.Create(OnnxCompassModel.LoadDefaultBundles(), options, chunk);
        Console.WriteLine($"load default model: {load.Elapsed.TotalMilliseconds:F0} ms");
        using var model = new TimingModel(onnx);
        using var image = Image.Load<Rgb24>(imagePath);
        var plan = LayerPlan.Parse("192x128,384x256,768x512");
        var encoder = new ScalableEncoder(model);
        var decoder = new ScalableDecoder(model);

        var stages = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        void Add(string key, double ms) { if (!stages.TryGetValue(key, out var l)) stages[key] = l = []; l.Add(ms); }

        byte[] stream = encoder.Encode(image, plan); // warm-up
        using (var check = decoder.Decode(stream))
        {
            // Bit-exactness fingerprint: any change to the pipeline must leave these unchanged (the 8-bit layers; a
            // change below half a level of the float reconstruction does not show here).
            Console.WriteLine($"stream sha256 {Hash(stream)} ({stream.Length} bytes)");
            foreach (var l in check.Layers)
                Console.WriteLine($"decoded layer {l.Index} sha256 {Hash(l.Pixels.Pixels)}");
        }
        model.Networks.Times.Clear();
        for (int r = 0; r < repeats; r++)
        {
            var w = Stopwatch.StartNew();
            var refs = ScalableEncoder.CreateLayerImages(image.ToPixelBuffer(), plan);
            Add("encode: CreateLayerImages (resample)", w.Elapsed.TotalMilliseconds);
            w.Restart();
            foreach (var x in refs) PlanarImage.FromPixels(x);
            Add("encode: PlanarImage.FromPixels x3", w.Elapsed.TotalMilliseconds);

            using var buffer = new MemoryStream();
            w.Restart();
            var result = encoder.Encode(image, plan, buffer);
            Add("encode total", w.Elapsed.TotalMilliseconds);
            foreach (var l in result.Layers) Add($"encode layer {l.Index}", l.Elapsed.TotalMilliseconds);

            w.Restart();
            using var decoded = decoder.Decode(stream);
            Add("decode total", w.Elapsed.TotalMilliseconds);
            foreach (var l in decoded.Layers) Add($"decode layer {l.Index}", l.Elapsed.TotalMilliseconds);
            w.Restart();
            _ = decoded.Layers[^1].Pixels;
            Add("decode: Pixels of last layer", w.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"{imagePath}, {repeats} repeats, intra {intra}, inter {inter}, spin {spin}, chunk {chunk}; medians (ms); network calls include encode and decode:");
        foreach (var (k, v) in stages.OrderBy(p => p.Key, StringComparer.Ordinal)) Print(k, v);
        foreach (var (k, v) in model.Networks.Times.OrderBy(p => p.Key, StringComparer.Ordinal)) Print(k, v);

        // The two LIFF graphs on their own.
        var bundle = onnx.Bundles[0];
        using var features = options.CreateSession(bundle.GetBytes(BundleFiles.LiffFeatures).ToArray(), "features", out _);
        using var run = new RunOptions();
        // 384x148 and 384x84: one horizontal strip of 128 and 64 rows plus the 10-row halo of the graph's ten 3x3 convolutions.
        foreach (var (w, h) in new[] { (192, 128), (384, 256), (384, 148), (384, 84) })
        {
            var x = new PlanarImage(w, h);
            var times = new List<double>();
            for (int r = 0; r < repeats + 1; r++)
            {
                var t = Stopwatch.StartNew();
                using (var input = OrtValue.CreateTensorValueFromMemory(x.Data, [1, 3, h, w]))
                using (features.Run(run, ["x"], [input], features.OutputNames)) { }
                if (r > 0) times.Add(t.Elapsed.TotalMilliseconds);
            }
            Print($"liff/features alone {w}x{h}", times);
        }
    }

    private static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..16];

    private static void Print(string key, List<double> values)
    {
        var sorted = values.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key,-48} {median,9:F1}  (n={values.Count}, min {sorted[0]:F1})"));
    }
}
