using System.Globalization;

namespace Compass.Training.Training;

/// <summary>The clock a <see cref="TrainingBudget"/> is measured on.</summary>
public enum BudgetClock
{
    /// <summary>Elapsed wall-clock time of the training loop.</summary>
    Wall,
    /// <summary>CPU time of the process (all threads): the fair measure when other work shares the machine.</summary>
    Cpu,
}

/// <summary>
/// A time budget for a training run (recipe benchmarks train for a fixed time, not a fixed step count).
/// Time spent before a resume counts: the budget covers the whole run.
/// </summary>
/// <param name="Limit">Time the run may spend.</param>
/// <param name="Clock">Which clock measures it.</param>
public sealed record TrainingBudget(TimeSpan Limit, BudgetClock Clock)
{
    /// <summary>Fraction of the budget used after <paramref name="wallSeconds"/> / <paramref name="cpuSeconds"/>, clamped to [0, 1].</summary>
    public double FractionUsed(double wallSeconds, double cpuSeconds) =>
        Math.Clamp((Clock == BudgetClock.Cpu ? cpuSeconds : wallSeconds) / Limit.TotalSeconds, 0, 1);

    /// <summary>The text form, e.g. <c>40 min wall</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Limit.TotalMinutes:0.##} min {(Clock == BudgetClock.Cpu ? "cpu" : "wall")}");
}
