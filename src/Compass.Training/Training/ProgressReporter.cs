using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Compass.Training.Training;

/// <summary>Averages step metrics over an interval and formats the progress line.</summary>
internal sealed class ProgressReporter
{
    private readonly Dictionary<string, double> _sums = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _count;
    private double _lossSum;

    public void Add(double loss, IReadOnlyDictionary<string, double> metrics)
    {
        _count++;
        _lossSum += loss;
        foreach (var (k, v) in metrics) _sums[k] = _sums.GetValueOrDefault(k) + v;
    }

    /// <summary>Averages of the interval so far (loss under "loss").</summary>
    public Dictionary<string, double> Averages()
    {
        var avg = _sums.ToDictionary(kv => kv.Key, kv => kv.Value / Math.Max(1, _count), StringComparer.Ordinal);
        avg["loss"] = _lossSum / Math.Max(1, _count);
        return avg;
    }

    /// <summary>Formats the line for the interval ending after <paramref name="completed"/> steps, then starts a new interval.</summary>
    /// <param name="completed">Steps completed.</param>
    /// <param name="total">The run's total steps (ignored when <paramref name="budgetUsed"/> is given).</param>
    /// <param name="learningRate">The current learning rate.</param>
    /// <param name="budgetUsed">Fraction of a time budget used, for budgeted runs (no step total, no ETA).</param>
    public string Flush(long completed, long total, double learningRate, double? budgetUsed = null)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        double rate = _count / Math.Max(seconds, 1e-9);
        var avg = Averages();
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (budgetUsed is null) sb.Append(ci, $"step {completed}/{total}  loss {avg["loss"]:F4}");
        else sb.Append(ci, $"step {completed}  loss {avg["loss"]:F4}");
        foreach (var key in avg.Keys.Where(k => k != "loss").OrderBy(OrderKey).ThenBy(k => k, StringComparer.Ordinal))
            sb.Append(ci, $"  {key} {Format(key, avg[key])}");
        sb.Append(ci, $"  lr {learningRate:0.00e+00}  {rate:F2} step/s");
        if (budgetUsed is { } used)
            sb.Append(ci, $"  budget {100 * used:F1}% used");
        else
            sb.Append(ci, $"  ETA {FormatSpan(TimeSpan.FromSeconds(Math.Min(Math.Round((total - completed) / Math.Max(rate, 1e-9)), TimeSpan.MaxValue.TotalSeconds / 2)))}");
        _sums.Clear();
        _lossSum = 0;
        _count = 0;
        _clock.Restart();
        return sb.ToString();
    }

    /// <summary>Formats a metrics dictionary in the same style (for validation lines).</summary>
    public static string FormatMetrics(IReadOnlyDictionary<string, double> metrics)
    {
        var ci = CultureInfo.InvariantCulture;
        return string.Join("  ", metrics.Keys.OrderBy(OrderKey).ThenBy(k => k, StringComparer.Ordinal)
            .Select(k => string.Create(ci, $"{k} {Format(k, metrics[k])}")));
    }

    internal static string FormatSpan(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes}:{t.Seconds:D2}";

    private static int OrderKey(string k) => k switch { "bpp" => 0, "psnr" => 1, "mse" => 2, _ => 3 };

    private static string Format(string key, double v) => key switch
    {
        "psnr" => v.ToString("F2", CultureInfo.InvariantCulture),
        "bpp" => v.ToString("F4", CultureInfo.InvariantCulture),
        _ => Math.Abs(v) is >= 1e-3 and < 1e4 || v == 0 ? v.ToString("0.####", CultureInfo.InvariantCulture) : v.ToString("0.###e+00", CultureInfo.InvariantCulture),
    };
}
