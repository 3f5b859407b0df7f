using Compass.Bundles;

namespace Compass.Pipeline;

/// <summary>
/// Quality to quantisation step, per codec: the one place a step is derived. For a variable-rate model the step of a
/// codec at quality q is exp(s(q)), s linearly interpolated in q between the anchors' log-steps, rounded once to
/// Q16 (<c>stepQ16 = round(step * 65536)</c>, 1 to 2^24 - 1); a single-rate model codes at step 1 (65536).
/// Everything after this uses only the exact value <c>D = stepQ16 / 65536</c>, carried in the stream header, so the
/// decoder never evaluates <see cref="Math.Exp"/>.
/// </summary>
internal sealed class QuantizationSteps
{
    /// <summary>Step 1 in Q16: the step of single-rate models and of the networks' own training.</summary>
    public const int UnitStepQ16 = 1 << 16;

    /// <summary>Exclusive upper bound of a stepQ16.</summary>
    public const int StepQ16Limit = 1 << 24;

    private readonly RateAnchors? _rate;

    private QuantizationSteps(RateAnchors? rate) => _rate = rate;

    /// <summary>The steps of <paramref name="model"/>.</summary>
    public static QuantizationSteps For(CompassModel model) => new(model.Rate);

    /// <summary>The steps of a variable-rate model with <paramref name="rate"/>, or step 1 everywhere for null.</summary>
    public static QuantizationSteps For(RateAnchors? rate) => new(rate);

    /// <summary>Whether <paramref name="stepQ16"/> is a step a stream may carry (1 to 2^24 - 1).</summary>
    public static bool IsValid(long stepQ16) => stepQ16 is >= 1 and < StepQ16Limit;

    /// <summary>The stepQ16 of <paramref name="role"/> at <paramref name="quality"/> (clamped to the anchors' range).</summary>
    public int StepQ16(CodecRole role, Quality quality)
    {
        if (_rate is null) return UnitStepQ16;
        var anchors = _rate.Anchors;
        double q = quality.Value;
        int k = 0;
        while (k < anchors.Count - 2 && q > anchors[k + 1].Quality) k++;
        var (a, b) = (anchors[k], anchors[k + 1]);
        double t = Math.Clamp((q - a.Quality) / (b.Quality - a.Quality), 0, 1);
        double sa = LogStep(a, role), sb = LogStep(b, role);
        // At an anchor t is 0 or 1 and s is that anchor's log-step exactly.
        double s = t == 1 ? sb : sa + (t * (sb - sa));
        double q16 = Math.Round(Math.Exp(s) * UnitStepQ16, MidpointRounding.AwayFromZero);
        return (int)Math.Clamp(q16, 1, StepQ16Limit - 1);
    }

    private static double LogStep(RateAnchor anchor, CodecRole role) => role == CodecRole.Base ? anchor.BaseLogStep : anchor.ResidualLogStep;
}
