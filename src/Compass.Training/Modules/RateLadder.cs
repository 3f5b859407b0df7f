using System.Globalization;

namespace Compass.Training.Modules;

/// <summary>
/// CompressAI's MSE lambda ladder (docs/method.md#training-objective): quality 1..8 and its rate-distortion lambda, extended
/// below quality 1 (<see cref="LambdaOf(double)"/>) so a variable-rate model can train levels under the ladder's lowest rate.
/// </summary>
public static class RateLadder
{
    /// <summary>Lambda of quality 1..8: 0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800.</summary>
    public static IReadOnlyList<double> Lambdas { get; } = [0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800];

    /// <summary>The smallest quality a level may have: 1/256, the step of the Q8.8 qualities a bitstream stores.</summary>
    public const double MinQuality = 1.0 / QualitySteps;

    /// <summary>The largest quality a level may have: the ladder's top, 8.</summary>
    public static double MaxQuality => Lambdas.Count;

    // Qualities are Q8.8 (Compass.Quality): multiples of 1/256.
    private const int QualitySteps = 256;

    /// <summary>The lambda of <paramref name="quality"/> (1..8).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a quality of the ladder.</exception>
    public static double LambdaOf(int quality)
    {
        if (quality < 1 || quality > Lambdas.Count)
            throw new ArgumentOutOfRangeException(nameof(quality), quality, $"Quality must be 1..{Lambdas.Count}.");
        return Lambdas[quality - 1];
    }

    /// <summary>
    /// The lambda of any level quality: the ladder's at whole qualities 1..8; <c>0.0018 * q</c> below 1 (continuous with
    /// quality 1: 0.5 is 0.0009, 0.25 is 0.00045); between two whole qualities, geometric between their lambdas (the
    /// rule's log-steps, <c>0.5 ln(lambda_ref / lambda)</c>, then lie on the straight line between the two, as the runtime
    /// interpolates them).
    /// </summary>
    /// <param name="quality">A multiple of 1/256 in 1/256..8 (<see cref="IsLevelQuality"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">Outside 1/256..8, or not a multiple of 1/256.</exception>
    public static double LambdaOf(double quality)
    {
        if (!IsLevelQuality(quality))
            throw new ArgumentOutOfRangeException(nameof(quality), quality, RangeMessage(quality));
        if (quality < 1) return Lambdas[0] * quality;
        int whole = (int)Math.Floor(quality);
        if (whole == quality) return Lambdas[whole - 1];
        double t = quality - whole;
        return Math.Exp(((1 - t) * Math.Log(Lambdas[whole - 1])) + (t * Math.Log(Lambdas[whole])));
    }

    /// <summary>Whether <paramref name="quality"/> can be a trained level: a multiple of 1/256 (Q8.8) in 1/256..8.</summary>
    public static bool IsLevelQuality(double quality) =>
        double.IsFinite(quality) && quality >= MinQuality && quality <= MaxQuality && Math.Round(quality * QualitySteps) == quality * QualitySteps;

    /// <summary>The message for a quality that cannot be a level (shared by every caller that reports one).</summary>
    public static string RangeMessage(double quality) => string.Create(CultureInfo.InvariantCulture,
        $"Quality {quality} cannot be a rate level: levels are multiples of 1/256 (Q8.8, e.g. 0.25, 0.5, 3) from 1/256 to {Lambdas.Count}.");

    /// <summary>The quality's text in metric names and messages: invariant culture, shortest exact form (<c>3</c>, <c>0.25</c>).</summary>
    public static string Format(double quality) => quality.ToString(CultureInfo.InvariantCulture);

    /// <summary>The whole quality whose lambda is <paramref name="lambda"/>, or null when it is not on the ladder.</summary>
    public static int? QualityOf(double lambda)
    {
        for (int i = 0; i < Lambdas.Count; i++)
            if (Math.Abs(Lambdas[i] - lambda) <= 1e-9) return i + 1;
        return null;
    }
}
