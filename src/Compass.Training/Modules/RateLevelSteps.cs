namespace Compass.Training.Modules;

/// <summary>
/// Log quantisation steps of one level set carried to another: a level both sets have keeps its learned step (matched by
/// quality, not by index); a level only the target has starts from the source's nearest level by the rule
/// <c>logStep(q) = logStep(nearest) + 0.5 ln(lambda(nearest) / lambda(q))</c>, the step that keeps <c>lambda * step^2</c> as
/// the nearest level's (docs/training.md#variable-rate). Used when a run grows its levels (<c>--init</c>) and when the
/// exporter joins two codecs with different level sets.
/// </summary>
public static class RateLevelSteps
{
    /// <summary>The level of <paramref name="levels"/> nearest to <paramref name="quality"/> in quality (a tie goes to the lower one).</summary>
    /// <exception cref="ArgumentException"><paramref name="levels"/> is empty.</exception>
    public static double Nearest(IReadOnlyList<double> levels, double quality)
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Count == 0) throw new ArgumentException("No levels to take a step from.", nameof(levels));
        return levels.OrderBy(l => Math.Abs(l - quality)).ThenBy(l => l).First();
    }

    /// <summary>The rule's log-step at <paramref name="quality"/> from level <paramref name="fromQuality"/>'s <paramref name="fromLogStep"/>.</summary>
    public static double FromLevel(double fromQuality, double fromLogStep, double quality) =>
        fromLogStep + (0.5 * Math.Log(RateLadder.LambdaOf(fromQuality) / RateLadder.LambdaOf(quality)));

    /// <summary>
    /// The log-step of every quality of <paramref name="targetQualities"/> from the levels <paramref name="sourceQualities"/>
    /// (with <paramref name="sourceLogSteps"/>, in the same order), and for each the source level it came from.
    /// </summary>
    /// <exception cref="ArgumentException">The source lists differ in length or are empty.</exception>
    public static IReadOnlyList<(double Quality, double LogStep, double From)> Map(
        IReadOnlyList<double> sourceQualities, IReadOnlyList<double> sourceLogSteps, IReadOnlyList<double> targetQualities)
    {
        ArgumentNullException.ThrowIfNull(sourceQualities);
        ArgumentNullException.ThrowIfNull(sourceLogSteps);
        ArgumentNullException.ThrowIfNull(targetQualities);
        if (sourceQualities.Count != sourceLogSteps.Count)
            throw new ArgumentException($"{sourceQualities.Count} source qualities but {sourceLogSteps.Count} log-steps.", nameof(sourceLogSteps));
        var result = new List<(double, double, double)>(targetQualities.Count);
        foreach (var q in targetQualities)
        {
            int same = IndexOf(sourceQualities, q);
            if (same >= 0)
            {
                result.Add((q, sourceLogSteps[same], q));
                continue;
            }
            double from = Nearest(sourceQualities, q);
            result.Add((q, FromLevel(from, sourceLogSteps[IndexOf(sourceQualities, from)], q), from));
        }
        return result;
    }

    private static int IndexOf(IReadOnlyList<double> levels, double quality)
    {
        for (int i = 0; i < levels.Count; i++)
            if (levels[i] == quality) return i;
        return -1;
    }
}
