using System.Diagnostics;
using Compass.Determinism;
using Xunit.Abstractions;

namespace Compass.Core.Tests.Determinism;

/// <summary>
/// Timing of the fixed-point scale path (a measurement, not a check): runs only with COMPASS_BENCH=1, e.g.
/// <c>COMPASS_BENCH=1 dotnet test tests/Compass.Core.Tests -c Release --filter FullyQualifiedName~FixedPointTiming</c>.
/// </summary>
public sealed class FixedPointTimingTests(ITestOutputHelper log)
{
    [SkippableTheory]
    [InlineData(64, 96)]
    [InlineData(128, 192)]
    public void TimePerKodakLayer(int n, int m)
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("COMPASS_BENCH") == "1", "set COMPASS_BENCH=1 to time");
        var s = SyntheticHyperScales.Create(n, m, 1);
        log.WriteLine($"N={n} M={m}, kernel {FixedPointKernels.BestPath}, {Environment.ProcessorCount} cores");
        foreach (int threads in new[] { 1, 2 })
        {
            double total = 0;
            foreach (var (yh, yw, label) in new[] { (32, 48, "768x512"), (16, 24, "384x256"), (8, 12, "192x128") })
            {
                var (zh, zw) = FixedPointHyperScales.ZSize(yh, yw);
                var (symbols, medians) = s.Inputs(zh, zw, 3);
                var indexes = new int[m * yh * yw];
                s.Model.ComputeIndexes(symbols, medians, zh, zw, yh, yw, indexes, threads); // warm-up
                var times = new List<double>();
                for (int r = 0; r < 7; r++)
                {
                    var sw = Stopwatch.StartNew();
                    s.Model.ComputeIndexes(symbols, medians, zh, zw, yh, yw, indexes, threads);
                    times.Add(sw.Elapsed.TotalMilliseconds);
                }
                times.Sort();
                total += times[3];
                log.WriteLine($"  {threads} thread(s) {label} (y {yh}x{yw}): median {times[3]:F1} ms (min {times[0]:F1}, max {times[^1]:F1})");
            }
            log.WriteLine($"  {threads} thread(s) 3-layer stream total: {total:F1} ms");
        }
    }
}
