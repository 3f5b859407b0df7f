using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Compass.Bundles;
using Compass.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Compass.Benchmarks.Profiling;

/// <summary>
/// <c>ort-ops [repeats] [intra] [spin 0|1] [chunk]</c>: runs every Kodak-size graph case in a plain CPU session with ONNX
/// Runtime's profiler on (environment: <c>COMPASS_BENCH_BUNDLE</c>, <c>COMPASS_BENCH_FILTER</c>) and prints wall medians plus the time per operator type (where the time goes inside a graph).
/// </summary>
internal static class OrtOpProfile
{
    public static void Run(string[] args)
    {
        int repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int intra = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        string spin = args.Length > 2 ? args[2] : "";
        int chunk = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 16384;
        bool profile = args.Length <= 4 || args[4] != "noprof";
        // COMPASS_BENCH_BUNDLE: profile that bundle (zip or folder) instead of the embedded default; COMPASS_BENCH_FILTER: only the cases whose name contains it.
        var path = Environment.GetEnvironmentVariable("COMPASS_BENCH_BUNDLE");
        using var onnx = string.IsNullOrEmpty(path)
            ? OnnxCompassModel.LoadDefault(new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu })
            : OnnxCompassModel.Load(path, new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        var filter = Environment.GetEnvironmentVariable("COMPASS_BENCH_FILTER") ?? "";
        var bundle = onnx.Bundles[0];
        var config = BundleConfig.Parse(bundle.Manifest.Config, "default");
        var dir = Directory.CreateTempSubdirectory("ort-prof").FullName;
        foreach (var c in GraphCase.Kodak(config, chunk).Where(c => c.Name.Contains(filter, StringComparison.Ordinal)))
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            if (intra > 0) options.IntraOpNumThreads = intra;
            if (spin.Length > 0) options.AddSessionConfigEntry("session.intra_op.allow_spinning", spin);
            if (profile)
            {
                options.ProfileOutputPathPrefix = Path.Combine(dir, c.File.Replace('/', '_')); // before enabling: it is read then
                options.EnableProfiling = true;
            }
            using var session = new InferenceSession(bundle.GetBytes(c.File).ToArray(), options);
            var values = c.Inputs.Select(i => i.Floats is not null
                ? OrtValue.CreateTensorValueFromMemory(i.Floats, i.Shape)
                : OrtValue.CreateTensorValueFromMemory(i.Longs!, i.Shape)).ToList();
            var names = c.Inputs.Select(i => i.Name).ToArray();
            var times = new List<double>();
            using var run = new RunOptions();
            for (int r = 0; r <= repeats; r++)
            {
                var w = Stopwatch.StartNew();
                using var outputs = session.Run(run, names, values, session.OutputNames);
                if (r > 0) times.Add(w.Elapsed.TotalMilliseconds);
            }
            foreach (var v in values) v.Dispose();
            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Name,-46} median {times[times.Count / 2],8:F1} ms  min {times[0],8:F1}"));
            if (!profile) continue;
            var file = session.EndProfiling();
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var byOp = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() != "Node" || !e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                var op = e.GetProperty("args").GetProperty("op_name").GetString()!;
                byOp[op] = byOp.GetValueOrDefault(op) + e.GetProperty("dur").GetDouble() / 1000.0 / (repeats + 1);
            }
            if (Environment.GetEnvironmentVariable("COMPASS_BENCH_NODES") == "1")
            {
                // Per node (name and op type), for finding the expensive nodes of one graph.
                var byNode = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var e in doc.RootElement.EnumerateArray())
                {
                    var name = e.GetProperty("name").GetString()!;
                    if (e.GetProperty("cat").GetString() != "Node" || !name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                    var key = e.GetProperty("args").GetProperty("op_name").GetString() + " " + name[..^"_kernel_time".Length];
                    byNode[key] = byNode.GetValueOrDefault(key) + e.GetProperty("dur").GetDouble() / 1000.0 / (repeats + 1);
                }
                foreach (var (k, v) in byNode.OrderByDescending(p => p.Value).Take(40))
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {v,8:F1} ms  {k}"));
            }
            Console.WriteLine("    " + string.Join(", ", byOp.OrderByDescending(p => p.Value).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F1}"))));
        }
        Directory.Delete(dir, recursive: true);
    }
}
