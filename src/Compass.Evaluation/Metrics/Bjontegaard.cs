using System.Globalization;

namespace Compass.Evaluation;

/// <summary>
/// Bjontegaard delta metrics between two rate-distortion curves: BD-rate, the mean rate difference in
/// percent at equal PSNR, and BD-PSNR, the mean PSNR difference in dB at equal rate.
/// </summary>
/// <remarks>
/// <para>BD-rate interpolates log(rate) as a function of PSNR for each curve, integrates both over the
/// PSNR interval the curves share, and returns <c>100 * (exp(mean difference) - 1)</c>: negative when
/// the test curve needs fewer bits than the reference for the same quality. BD-PSNR swaps the axes.
/// The base of the logarithm cancels out.</para>
/// <para>Points may come in any order; each curve must be monotonic (rate and PSNR strictly increasing
/// together once sorted by rate), have at least <see cref="MinimumPoints"/> points and overlap the other
/// curve's range. Anything else throws <see cref="ArgumentException"/> with a message that names the
/// curve and the problem.</para>
/// </remarks>
public static class Bjontegaard
{
    /// <summary>The fewest points per curve a method needs: 4 for <see cref="BjontegaardMethod.Cubic"/>, 2 for <see cref="BjontegaardMethod.Pchip"/>.</summary>
    /// <param name="method">The interpolation method.</param>
    public static int MinimumPoints(BjontegaardMethod method) => method switch
    {
        BjontegaardMethod.Cubic => 4,
        BjontegaardMethod.Pchip => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown Bjontegaard method."),
    };

    /// <summary>BD-rate of <paramref name="test"/> against <paramref name="reference"/>, in percent (negative: the test saves bits).</summary>
    /// <param name="reference">The anchor curve.</param>
    /// <param name="test">The curve being judged.</param>
    /// <param name="method">How the curves are interpolated.</param>
    /// <exception cref="ArgumentException">A curve has too few points, is not monotonic, has a non-positive rate, or the curves' PSNR ranges do not overlap.</exception>
    public static double Rate(IReadOnlyList<RdPoint> reference, IReadOnlyList<RdPoint> test, BjontegaardMethod method = BjontegaardMethod.Cubic)
    {
        var (refLogRate, refPsnr) = Prepare(reference, nameof(reference), method);
        var (testLogRate, testPsnr) = Prepare(test, nameof(test), method);
        var (lo, hi) = Overlap(refPsnr, testPsnr, "PSNR", "dB");
        double difference = MeanDifference(method, refPsnr, refLogRate, testPsnr, testLogRate, lo, hi);
        return (Math.Exp(difference) - 1) * 100;
    }

    /// <summary>BD-PSNR of <paramref name="test"/> against <paramref name="reference"/>, in dB (positive: the test has higher quality at equal rate).</summary>
    /// <param name="reference">The anchor curve.</param>
    /// <param name="test">The curve being judged.</param>
    /// <param name="method">How the curves are interpolated.</param>
    /// <exception cref="ArgumentException">A curve has too few points, is not monotonic, has a non-positive rate, or the curves' rate ranges do not overlap.</exception>
    public static double Psnr(IReadOnlyList<RdPoint> reference, IReadOnlyList<RdPoint> test, BjontegaardMethod method = BjontegaardMethod.Cubic)
    {
        var (refLogRate, refPsnr) = Prepare(reference, nameof(reference), method);
        var (testLogRate, testPsnr) = Prepare(test, nameof(test), method);
        var (lo, hi) = Overlap(refLogRate, testLogRate, "rate", "log-bpp");
        return MeanDifference(method, refLogRate, refPsnr, testLogRate, testPsnr, lo, hi);
    }

    /// <summary>
    /// Why a BD metric cannot be computed for these point counts (e.g. <c>needs 4 rate points, has 1</c>),
    /// or null when both curves have enough points.
    /// </summary>
    /// <param name="referencePoints">Points of the reference curve.</param>
    /// <param name="testPoints">Points of the test curve.</param>
    /// <param name="method">The interpolation method.</param>
    public static string? MissingPoints(int referencePoints, int testPoints, BjontegaardMethod method)
    {
        int needed = MinimumPoints(method), has = Math.Min(referencePoints, testPoints);
        return has >= needed ? null : string.Create(CultureInfo.InvariantCulture, $"needs {needed} rate points, has {has}");
    }

    /// <summary>
    /// BD-rate as <see cref="Rate"/>, without throwing: false with the reason (too few points, a curve that is
    /// not monotonic, no overlap) when it cannot be computed. For tables that show "n/a (...)" in such cells.
    /// </summary>
    /// <param name="reference">The anchor curve.</param>
    /// <param name="test">The curve being judged.</param>
    /// <param name="method">How the curves are interpolated.</param>
    /// <param name="percent">The BD-rate in percent, when the result is true.</param>
    /// <param name="reason">Why it cannot be computed, when the result is false (e.g. <c>needs 4 rate points, has 1</c>).</param>
    public static bool TryRate(IReadOnlyList<RdPoint> reference, IReadOnlyList<RdPoint> test, BjontegaardMethod method,
        out double percent, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(test);
        percent = double.NaN;
        reason = MissingPoints(reference.Count, test.Count, method);
        if (reason is not null) return false;
        try
        {
            percent = Rate(reference, test, method);
            return true;
        }
        catch (ArgumentException ex)
        {
            reason = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
            return false;
        }
    }

    // Mean of (test(x) - reference(x)) over [lo, hi], each curve y(x) interpolated by the method.
    private static double MeanDifference(BjontegaardMethod method, double[] refX, double[] refY, double[] testX, double[] testY, double lo, double hi)
    {
        double refIntegral, testIntegral;
        if (method == BjontegaardMethod.Cubic)
        {
            refIntegral = CubicFit.Fit(refX, refY).Integrate(lo, hi);
            testIntegral = CubicFit.Fit(testX, testY).Integrate(lo, hi);
        }
        else
        {
            // Pchip needs increasing x; both axes increase together, so sorting by rate sorted x as well.
            refIntegral = new PchipCurve(refX, refY).Integrate(lo, hi);
            testIntegral = new PchipCurve(testX, testY).Integrate(lo, hi);
        }
        return (testIntegral - refIntegral) / (hi - lo);
    }

    private static (double[] LogRate, double[] Psnr) Prepare(IReadOnlyList<RdPoint> curve, string name, BjontegaardMethod method)
    {
        ArgumentNullException.ThrowIfNull(curve, name);
        int needed = MinimumPoints(method);
        if (curve.Count < needed)
            throw new ArgumentException(Invariant($"The {name} curve has {curve.Count} point(s); the {method} method needs at least {needed}."), name);
        var sorted = curve.OrderBy(p => p.Bpp).ToArray();
        foreach (var p in sorted)
        {
            if (!(p.Bpp > 0) || double.IsInfinity(p.Bpp))
                throw new ArgumentException(Invariant($"The {name} curve has a rate of {p.Bpp} bpp; rates must be positive and finite."), name);
            if (!double.IsFinite(p.Psnr))
                throw new ArgumentException(Invariant($"The {name} curve has a PSNR of {p.Psnr} dB; PSNR values must be finite."), name);
        }
        for (int i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Bpp == sorted[i - 1].Bpp || sorted[i].Psnr <= sorted[i - 1].Psnr)
                throw new ArgumentException(Invariant(
                    $"The {name} curve is not monotonic: {sorted[i - 1]} is followed by {sorted[i]}; rate and PSNR must both strictly increase."), name);
        }
        return (sorted.Select(p => Math.Log(p.Bpp)).ToArray(), sorted.Select(p => p.Psnr).ToArray());
    }

    private static (double Lo, double Hi) Overlap(double[] reference, double[] test, string axis, string unit)
    {
        double lo = Math.Max(reference[0], test[0]), hi = Math.Min(reference[^1], test[^1]);
        if (!(hi > lo))
            throw new ArgumentException(Invariant(
                $"The curves do not overlap in {axis}: reference {reference[0]:0.###}..{reference[^1]:0.###} {unit}, test {test[0]:0.###}..{test[^1]:0.###} {unit}."));
        return (lo, hi);
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
