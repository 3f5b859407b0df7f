using System.Globalization;

namespace Compass.Bundles;

/// <summary>
/// One anchor of a variable-rate model (manifest format 2): at <paramref name="Quality"/> the base codec
/// quantises its latent with step exp(<paramref name="BaseLogStep"/>) and the residual codec with step
/// exp(<paramref name="ResidualLogStep"/>); between anchors the log-steps are interpolated linearly in quality.
/// </summary>
/// <param name="Quality">The anchor's quality, a multiple of 1/256 (Q8.8) inside the range of <see cref="Compass.Quality"/>.</param>
/// <param name="Lambda">The rate-distortion lambda the anchor was trained for, when recorded.</param>
/// <param name="BaseLogStep">Natural log of the base codec's quantisation step at this quality.</param>
/// <param name="ResidualLogStep">Natural log of the residual codec's quantisation step at this quality.</param>
public sealed record RateAnchor(double Quality, double? Lambda, double BaseLogStep, double ResidualLogStep);

/// <summary>
/// The rate anchors of a variable-rate model bundle (manifest format 2, <c>"rate": { "anchors": [...] }</c>):
/// at least two, strictly ascending in quality; the model codes every quality from the first anchor's
/// (<see cref="QualityMin"/>) to the last one's (<see cref="QualityMax"/>).
/// </summary>
public sealed class RateAnchors
{
    /// <summary>The smallest quantisation step a stream can carry (1/65536, one unit of Q16).</summary>
    internal const double MinStep = 1.0 / 65536;

    /// <summary>The bound (exclusive) on a quantisation step: 2^24 units of Q16, i.e. 256.</summary>
    internal const double MaxStepExclusive = (double)(1 << 24) / 65536;

    /// <summary>Validates and keeps <paramref name="anchors"/>.</summary>
    /// <param name="anchors">At least two anchors, strictly ascending in quality.</param>
    /// <exception cref="ArgumentException">An anchor is invalid; the message names it and the field.</exception>
    public RateAnchors(IEnumerable<RateAnchor> anchors)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        List<RateAnchor> list = [.. anchors];
        if (Problem(list) is { } problem)
        {
            throw new ArgumentException($"Rate anchors: {problem}.", nameof(anchors));
        }

        Anchors = list.AsReadOnly();
    }

    /// <summary>The anchors, strictly ascending in quality.</summary>
    public IReadOnlyList<RateAnchor> Anchors { get; }

    /// <summary>The lowest quality the model codes (the first anchor's).</summary>
    public double QualityMin => Anchors[0].Quality;

    /// <summary>The highest quality the model codes (the last anchor's).</summary>
    public double QualityMax => Anchors[^1].Quality;

    /// <summary>
    /// What is wrong with <paramref name="anchors"/>, naming the field as the manifest spells it
    /// (e.g. <c>anchors[2].baseLogStep</c>), or null when they are valid.
    /// </summary>
    internal static string? Problem(IReadOnlyList<RateAnchor> anchors)
    {
        if (anchors.Count < 2)
        {
            return string.Create(CultureInfo.InvariantCulture, $"'anchors' has {anchors.Count} entr{(anchors.Count == 1 ? "y" : "ies")}; a variable-rate model needs at least 2");
        }

        for (int i = 0; i < anchors.Count; i++)
        {
            var a = anchors[i];
            if (a is null)
            {
                return string.Create(CultureInfo.InvariantCulture, $"'anchors[{i}]' is null");
            }

            if (!IsQ88(a.Quality))
            {
                return string.Create(CultureInfo.InvariantCulture, $"'anchors[{i}].quality' {a.Quality} is not a multiple of 1/256 inside 1/256..65535/256 (a Q8.8 quality)");
            }

            if (i > 0 && !(a.Quality > anchors[i - 1].Quality))
            {
                return string.Create(CultureInfo.InvariantCulture, $"'anchors[{i}].quality' {a.Quality} does not follow {anchors[i - 1].Quality}; anchors must be strictly ascending in quality");
            }

            if (a.Lambda is { } lambda && !(double.IsFinite(lambda) && lambda > 0))
            {
                return string.Create(CultureInfo.InvariantCulture, $"'anchors[{i}].lambda' {lambda} must be a positive finite number");
            }

            if (LogStepProblem(a.BaseLogStep) is { } baseProblem)
            {
                return string.Create(CultureInfo.InvariantCulture, $"'anchors[{i}].baseLogStep' {a.BaseLogStep} {baseProblem}");
            }

            if (LogStepProblem(a.ResidualLogStep) is { } residualProblem)
            {
                return string.Create(CultureInfo.InvariantCulture, $"'anchors[{i}].residualLogStep' {a.ResidualLogStep} {residualProblem}");
            }
        }

        return null;
    }

    private static bool IsQ88(double quality)
    {
        double raw = quality * 256;
        return double.IsFinite(raw) && raw == Math.Floor(raw) && raw is >= 1 and <= ushort.MaxValue;
    }

    private static string? LogStepProblem(double logStep)
    {
        if (!double.IsFinite(logStep))
        {
            return "must be a finite number";
        }

        long q16 = (long)Math.Round(Math.Exp(logStep) * 65536, MidpointRounding.AwayFromZero);
        return q16 is >= 1 and < 1 << 24 ? null : "gives a step outside [1/65536, 256) (stepQ16 must be 1 to 2^24 - 1)";
    }
}
