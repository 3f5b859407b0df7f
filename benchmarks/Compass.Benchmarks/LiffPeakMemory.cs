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
