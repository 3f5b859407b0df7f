using System.Diagnostics;
using System.Globalization;
using Compass.Pipeline;
using Compass.Training.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Benchmarks;

/// <summary>
/// Native peak memory of one LIFF training step, measured in a fresh process per form because
/// libtorch allocates outside the managed heap: peak resident set (VmHWM) after the step minus the
/// resident set (VmRSS) just before it.
/// Run: <c>dotnet run -c Release --project benchmarks/Compass.Benchmarks -- liff-peak-rss (naive|lowres|rdn) 64x64->128x128 [steps]</c>.
/// </summary>
public static class LiffPeakMemory
{
    /// <summary>Runs the measurement and prints one line: form, scenario, baseline, peak, delta (MiB) and step times.</summary>
    public static void Run(string[] args)
    {
        string form = args.Length > 0 ? args[0] : "lowres";
        string scenario = args.Length > 1 ? args[1] : "64x64->128x128";
        int steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var (h, w, height, width) = ParseScenario(scenario);
        random.manual_seed(1);
        using var module = new Liff(LiffConfig.Paper);
        using var input = rand(1, 3, h, w);
        using var weight = randn(1, 3, height, width);
        var grid = LiffGrid.Create(h, w, height, width);
        // Warm up at a tiny size so one-time costs (kernel code pages, thread pools) stay out of the step peak.
        using (var tiny = rand(1, 3, 4, 4))
        using (var tinyWeight = randn(1, 3, 8, 8))
            TrainingStep(module, tiny, tinyWeight, LiffGrid.Create(4, 4, 8, 8), form);
        GC.Collect();
        long baseline = ReadStatusKiB("VmRSS");
        var times = new List<double>();
        for (int s = 0; s < steps; s++)
        {
            var watch = Stopwatch.StartNew();
            TrainingStep(module, input, weight, grid, form);
            times.Add(watch.Elapsed.TotalSeconds);
        }
        long peak = ReadStatusKiB("VmHWM");
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{form} {scenario}: baseline RSS {baseline / 1024.0:F0} MiB, peak RSS {peak / 1024.0:F0} MiB, step peak {(peak - baseline) / 1024.0:F0} MiB, median step {times[times.Count / 2]:F2} s (threads {get_num_threads()})"));
    }

    /// <summary>
    /// Interleaved timing on a shared, noisy machine: naive and low-res steps alternate in one process so
    /// both see the same load; prints the median step time of each and the median of the per-pair ratios.
    /// Run: <c>dotnet run -c Release --project benchmarks/Compass.Benchmarks -- liff-compare 64x64->128x128 [pairs]</c>.
    /// </summary>
    public static void Compare(string[] args)
    {
        string scenario = args.Length > 0 ? args[0] : "64x64->128x128";
        int pairs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        var (h, w, height, width) = ParseScenario(scenario);
        random.manual_seed(1);
        using var module = new Liff(LiffConfig.Paper);
        using var input = rand(1, 3, h, w);
        using var weight = randn(1, 3, height, width);
        var grid = LiffGrid.Create(h, w, height, width);
        TrainingStep(module, input, weight, grid, "naive"); // warm-up
        TrainingStep(module, input, weight, grid, "lowres");
        var naive = new List<double>();
        var lowRes = new List<double>();
        var ratios = new List<double>();
        for (int k = 0; k < pairs; k++)
        {
            var watch = Stopwatch.StartNew();
            float lossNaive = TrainingStep(module, input, weight, grid, "naive");
            naive.Add(watch.Elapsed.TotalSeconds);
            watch.Restart();
            float lossLowRes = TrainingStep(module, input, weight, grid, "lowres");
            lowRes.Add(watch.Elapsed.TotalSeconds);
            ratios.Add(naive[^1] / lowRes[^1]);
            if (Math.Abs(lossNaive - lossLowRes) > 1e-3 * Math.Max(1, Math.Abs(lossNaive)))
                throw new InvalidOperationException($"forms disagree: loss {lossNaive} vs {lossLowRes}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{scenario}: median step naive {Median(naive):F2} s, low-res {Median(lowRes):F2} s, median speed-up {Median(ratios):F2}x over {pairs} interleaved pairs (threads {get_num_threads()})"));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Forward and backward of sum(P * weight) (form "naive", "lowres", or "rdn" = the shared feature
    /// extractor alone, loss sum(F)), parameter gradients zeroed first; returns the loss.</summary>
    internal static float TrainingStep(Liff module, Tensor input, Tensor weight, LiffGrid grid, string form)
    {
        using var scope = NewDisposeScope();
        module.zero_grad();
        var x = input.detach().requires_grad_();
        var loss = form switch
        {
            "naive" => (module.ForwardNaive(x, grid) * weight).sum(),
            "lowres" => (module.Forward(x, grid) * weight).sum(),
            "rdn" => module.Features(x).sum(),
            _ => throw new ArgumentException($"unknown form {form}"),
        };
        loss.backward();
        return loss.item<float>();
    }

    /// <summary>Parses "hxw->HxW".</summary>
    public static (int H, int W, int TargetH, int TargetW) ParseScenario(string scenario)
    {
        var parts = scenario.Split("->");
        var source = parts[0].Split('x');
        var target = parts[1].Split('x');
        return (int.Parse(source[0], CultureInfo.InvariantCulture), int.Parse(source[1], CultureInfo.InvariantCulture),
            int.Parse(target[0], CultureInfo.InvariantCulture), int.Parse(target[1], CultureInfo.InvariantCulture));
    }

    private static long ReadStatusKiB(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            return long.Parse(line.AsSpan(field.Length + 1).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
