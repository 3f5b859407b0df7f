using System.Diagnostics;
using System.Globalization;
using Compass.Bundles;
using Compass.ImageSharp;
using Compass.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Benchmarks.Profiling;

/// <summary>
/// <c>ab repeats config...</c> with config = <c>intra:spin:chunk</c> (intra 0: ONNX Runtime's default; spin 1 or 0): loads the default
/// model once per config and alternates the configs run by run (decode and encode of the Kodak plan), so that all see the
/// same machine load; prints medians. Also checks that every config produces the same stream.
/// </summary>
internal static class OptionsComparison
{
    public static void Run(string[] args)
    {
        int repeats = int.Parse(args[0], CultureInfo.InvariantCulture);
        var configs = args[1..];
        using var image = Image.Load<Rgb24>(BenchmarkImages.KodakPath());
        var plan = LayerPlan.Parse(BenchmarkImages.KodakPlan);
        var models = configs.Select(c =>
        {
            var p = c.Split(':');
            var options = new OnnxRuntimeOptions
            {
                Provider = ExecutionProvider.Cpu,
                IntraOpThreads = int.Parse(p[0], CultureInfo.InvariantCulture),
                AllowSpinning = p[1] == "1",
            };
            return OnnxCompassModel.Create(OnnxCompassModel.LoadDefaultBundles(), options, int.Parse(p[2], CultureInfo.InvariantCulture));
        }).ToArray();
        var streams = models.Select(m => new ScalableEncoder(m).Encode(image, plan)).ToArray(); // also the warm-up
        if (streams.Any(s => !s.AsSpan().SequenceEqual(streams[0]))) throw new InvalidOperationException("The configs produced different streams.");
        foreach (var m in models) new ScalableDecoder(m).Decode(streams[0]).Dispose();

        var times = configs.Select(_ => new Dictionary<string, List<double>>(StringComparer.Ordinal)).ToArray();
        for (int r = 0; r < repeats; r++)
        {
            for (int i = 0; i < models.Length; i++)
            {
                var t = times[i];
                var w = Stopwatch.StartNew();
                using var decoded = new ScalableDecoder(models[i]).Decode(streams[0]);
                Add(t, "decode total", w.Elapsed.TotalMilliseconds);
                foreach (var l in decoded.Layers) Add(t, $"decode layer {l.Index}", l.Elapsed.TotalMilliseconds);
                w.Restart();
                new ScalableEncoder(models[i]).Encode(image, plan);
                Add(t, "encode total", w.Elapsed.TotalMilliseconds);
            }
        }
        for (int i = 0; i < models.Length; i++)
        {
            Console.WriteLine($"config {configs[i]} (intra:spin:chunk), medians of {repeats}:");
            foreach (var (k, v) in times[i].OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var s = v.Order().ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {k,-16} {s[s.Length / 2],8:F0} ms  (min {s[0]:F0})"));
            }
            models[i].Dispose();
        }
    }

    private static void Add(Dictionary<string, List<double>> t, string key, double ms)
    {
        if (!t.TryGetValue(key, out var l)) t[key] = l = [];
        l.Add(ms);
    }
}
