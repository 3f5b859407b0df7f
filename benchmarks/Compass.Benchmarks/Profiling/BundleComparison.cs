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
/// Two exports of the same weights (for example before and after a change to the exporter), compared on the CPU provider
/// with the pipeline's session options, alternating run by run so that both see the same machine load.
/// <c>graph-ab old.zip new.zip repeats [substring]</c>: every Kodak-size graph case, median wall time of each and the
/// largest output difference (absolute, and relative to the largest |old| output).
/// <c>e2e-ab old.zip new.zip repeats</c>: encode with each, decode each stream with its own model; median per-layer and
/// total decode time, the final layer's PSNR against the Kodak image, and each layer of the two decodes against each other.
/// </summary>
internal static class BundleComparison
{
    public static void Graphs(string[] args)
    {
        var bundles = new[] { ModelBundle.Load(args[0]), ModelBundle.Load(args[1]) };
        int repeats = int.Parse(args[2], CultureInfo.InvariantCulture);
        string filter = args.Length > 3 ? args[3] : "";
        var config = BundleConfig.Parse(bundles[0].Manifest.Config, "old");
        // COMPASS_BENCH_INTRA: intra-op threads (1 gives a CPU time that the machine's load barely disturbs).
        int intra = int.Parse(Environment.GetEnvironmentVariable("COMPASS_BENCH_INTRA") ?? "0", CultureInfo.InvariantCulture);
        var options = new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = intra };
        foreach (var c in GraphCase.Kodak(config, OnnxCompassModel.DefaultLiffPredictChunk).Where(c => c.Name.Contains(filter, StringComparison.Ordinal)))
        {
            var sessions = bundles.Select(b => options.CreateSession(b.GetBytes(c.File).ToArray(), c.File, out _)).ToArray();
            var values = c.Inputs.Select(i => i.Floats is not null
                ? OrtValue.CreateTensorValueFromMemory(i.Floats, i.Shape)
                : OrtValue.CreateTensorValueFromMemory(i.Longs!, i.Shape)).ToList();
            var names = c.Inputs.Select(i => i.Name).ToArray();
            var times = new[] { new List<double>(), new List<double>() };
            var cpu = new[] { new List<double>(), new List<double>() };
            var process = Process.GetCurrentProcess();
            using var run = new RunOptions();
            float[][][] outputs = new float[2][][];
            for (int r = 0; r <= repeats; r++)
            {
                for (int o = 0; o < 2; o++)
                {
                    int s = (o + r) % 2; // alternate which runs first: the second of a pair tends to be slower
                    process.Refresh();
                    var cpu0 = process.TotalProcessorTime;
                    var w = Stopwatch.StartNew();
                    using var result = sessions[s].Run(run, names, values, sessions[s].OutputNames);
                    double ms = w.Elapsed.TotalMilliseconds;
                    process.Refresh();
                    if (r > 0)
                    {
                        times[s].Add(ms);
                        cpu[s].Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
                    }
                    else outputs[s] = result.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToArray();
                }
            }
            double maxAbs = 0, maxOld = 0;
            for (int o = 0; o < outputs[0].Length; o++)
            {
                if (outputs[0][o].Length != outputs[1][o].Length) throw new InvalidOperationException($"{c.Name}: output {o} sizes differ.");
                for (int k = 0; k < outputs[0][o].Length; k++)
                {
                    maxAbs = Math.Max(maxAbs, Math.Abs(outputs[0][o][k] - outputs[1][o][k]));
                    maxOld = Math.Max(maxOld, Math.Abs(outputs[0][o][k]));
                }
            }
            double old = Median(times[0]), neu = Median(times[1]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Name,-46} old {old,8:F1} ms  new {neu,8:F1} ms  x{old / neu,5:F2}  cpu old {Median(cpu[0]),8:F1} new {Median(cpu[1]),8:F1} x{Median(cpu[0]) / Median(cpu[1]),5:F2}  max|diff| {maxAbs:E2} (rel {maxAbs / maxOld:E2})"));
            foreach (var v in values) v.Dispose();
            foreach (var s in sessions) s.Dispose();
        }
    }

    public static void EndToEnd(string[] args)
    {
        int repeats = int.Parse(args[2], CultureInfo.InvariantCulture);
        using var image = Image.Load<Rgb24>(BenchmarkImages.KodakPath());
        var plan = LayerPlan.Parse(BenchmarkImages.KodakPlan);
        var options = new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu };
        var models = new[] { OnnxCompassModel.Load(args[0], options), OnnxCompassModel.Load(args[1], options) };
        var streams = models.Select(m => new ScalableEncoder(m).Encode(image, plan)).ToArray();
        for (int s = 0; s < 2; s++)
        {
            using var decoded = new ScalableDecoder(models[s]).Decode(streams[s]);
            var last = decoded.Layers[^1];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(s == 0 ? "old" : "new")}: {streams[s].Length} bytes, final layer PSNR {ImageMetrics.Psnr(last.Pixels, image.ToPixelBuffer()):F4} dB"));
        }
        // The header names the model (a hash of the bundle), so each stream decodes only with its own model; compare the
        // two decodes layer by layer.
        using (var a = new ScalableDecoder(models[0]).Decode(streams[0]))
        using (var b = new ScalableDecoder(models[1]).Decode(streams[1]))
        {
            for (int l = 0; l < a.Layers.Count; l++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"layer {l}: PSNR(old decode, new decode) {ImageMetrics.Psnr(a.Layers[l].Pixels, b.Layers[l].Pixels):F2} dB, bytes {a.Layers[l].AccumulatedBytes} / {b.Layers[l].AccumulatedBytes}"));
            }
        }

        var times = new[] { new Dictionary<string, List<double>>(), new Dictionary<string, List<double>>() };
        for (int r = 0; r < repeats; r++)
        {
            for (int o = 0; o < 2; o++)
            {
                int s = (o + r) % 2;
                var w = Stopwatch.StartNew();
                using var decoded = new ScalableDecoder(models[s]).Decode(streams[s]);
                Add(times[s], "decode total", w.Elapsed.TotalMilliseconds);
                foreach (var l in decoded.Layers) Add(times[s], $"decode layer {l.Index}", l.Elapsed.TotalMilliseconds);
                w.Restart();
                new ScalableEncoder(models[s]).Encode(image, plan);
                Add(times[s], "encode total", w.Elapsed.TotalMilliseconds);
            }
        }
        foreach (var key in times[0].Keys.Order(StringComparer.Ordinal))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{key,-16} old {Median(times[0][key]),8:F0} ms  new {Median(times[1][key]),8:F0} ms"));
        }
        foreach (var m in models) m.Dispose();
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }

    private static void Add(Dictionary<string, List<double>> t, string key, double ms)
    {
        if (!t.TryGetValue(key, out var l)) t[key] = l = [];
        l.Add(ms);
    }
}
