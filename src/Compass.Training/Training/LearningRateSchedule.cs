using System.Globalization;

namespace Compass.Training.Training;

/// <summary>The shape of a <see cref="LearningRateSchedule"/>.</summary>
public enum LearningRateScheduleKind
{
    /// <summary>The base rate throughout.</summary>
    Constant,
    /// <summary>The base rate, then <c>base * DropFactor</c> from <c>DropAt * total</c> steps on.</summary>
    Step,
    /// <summary>Cosine decay from the base rate to <c>base * FinalFactor</c> at the last step.</summary>
    Cosine,
}

/// <summary>
/// A learning-rate schedule: a pure function of (step, total steps), so its only state is its
/// definition (checkpointed as <see cref="ToString"/>). An optional linear warm-up comes first.
/// </summary>
/// <param name="Kind">The shape.</param>
/// <param name="BaseRate">Peak learning rate.</param>
/// <param name="WarmupSteps">Steps of linear warm-up from <c>base/W</c> to <c>base</c>.</param>
/// <param name="DropAt">Step schedule: fraction of the run where the rate drops.</param>
/// <param name="DropFactor">Step schedule: multiplier after the drop.</param>
/// <param name="FinalFactor">Cosine schedule: multiplier reached at the last step.</param>
public sealed record LearningRateSchedule(
    LearningRateScheduleKind Kind,
    double BaseRate,
    long WarmupSteps = 0,
    double DropAt = 0.75,
    double DropFactor = 0.2,
    double FinalFactor = 0.0)
{
    /// <summary>The learning rate of (0-based) step <paramref name="step"/> of a <paramref name="totalSteps"/>-step run.</summary>
    public double RateAt(long step, long totalSteps)
    {
        if (step < WarmupSteps) return BaseRate * (step + 1) / WarmupSteps;
        switch (Kind)
        {
            case LearningRateScheduleKind.Constant:
                return BaseRate;
            case LearningRateScheduleKind.Step:
                return step >= (long)Math.Floor(DropAt * totalSteps) ? BaseRate * DropFactor : BaseRate;
            case LearningRateScheduleKind.Cosine:
                double span = Math.Max(1, totalSteps - 1 - WarmupSteps);
                double p = Math.Clamp((step - WarmupSteps) / span, 0, 1);
                return BaseRate * (FinalFactor + (1 - FinalFactor) * 0.5 * (1 + Math.Cos(Math.PI * p)));
            default:
                throw new InvalidOperationException($"Unknown schedule kind {Kind}.");
        }
    }

    /// <summary>
    /// The learning rate of step <paramref name="step"/> when the run's progress is measured as a fraction
    /// (of a time budget) rather than in steps: warm-up still counts steps, the shape follows <paramref name="progress"/> in [0, 1].
    /// </summary>
    public double RateAtProgress(long step, double progress)
    {
        if (step < WarmupSteps) return BaseRate * (step + 1) / WarmupSteps;
        progress = Math.Clamp(progress, 0, 1);
        return Kind switch
        {
            LearningRateScheduleKind.Constant => BaseRate,
            LearningRateScheduleKind.Step => progress >= DropAt ? BaseRate * DropFactor : BaseRate,
            LearningRateScheduleKind.Cosine => BaseRate * (FinalFactor + (1 - FinalFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress))),
            _ => throw new InvalidOperationException($"Unknown schedule kind {Kind}."),
        };
    }

    /// <summary>
    /// Parses <c>constant</c>, <c>step[:dropAt[:factor]]</c> (default <c>step:0.75:0.2</c>) or
    /// <c>cosine[:finalFactor]</c> (default 0).
    /// </summary>
    /// <exception cref="FormatException">The text is not one of these forms or a value is out of range.</exception>
    public static LearningRateSchedule Parse(string spec, double baseRate, long warmupSteps = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!(baseRate > 0) || double.IsInfinity(baseRate)) throw new FormatException($"The learning rate must be positive, not {baseRate}.");
        if (warmupSteps < 0) throw new FormatException("Warm-up steps must not be negative.");
        var parts = spec.Trim().ToLowerInvariant().Split(':');
        double Arg(int i, double fallback, double min, double max)
        {
            if (parts.Length <= i) return fallback;
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
                throw new FormatException($"Schedule '{spec}': '{parts[i]}' must be a number in [{min}, {max}].");
            return v;
        }
        int maxParts = parts[0] switch { "constant" => 1, "step" => 3, "cosine" => 2, _ => 0 };
        if (maxParts == 0) throw new FormatException($"Unknown schedule '{spec}': use constant, step[:dropAt[:factor]] or cosine[:finalFactor].");
        if (parts.Length > maxParts) throw new FormatException($"Schedule '{spec}' has too many parts.");
        return parts[0] switch
        {
            "constant" => new LearningRateSchedule(LearningRateScheduleKind.Constant, baseRate, warmupSteps),
            "step" => new LearningRateSchedule(LearningRateScheduleKind.Step, baseRate, warmupSteps, Arg(1, 0.75, 0, 1), Arg(2, 0.2, 0, 1)),
            _ => new LearningRateSchedule(LearningRateScheduleKind.Cosine, baseRate, warmupSteps, FinalFactor: Arg(1, 0.0, 0, 1)),
        };
    }

    /// <summary>The canonical text form: <c>kind[:args] lr=... warmup=...</c>.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        string shape = Kind switch
        {
            LearningRateScheduleKind.Step => string.Format(ci, "step:{0}:{1}", DropAt, DropFactor),
            LearningRateScheduleKind.Cosine => string.Format(ci, "cosine:{0}", FinalFactor),
            _ => "constant",
        };
        return string.Format(ci, "{0} lr={1} warmup={2}", shape, BaseRate, WarmupSteps);
    }
}
