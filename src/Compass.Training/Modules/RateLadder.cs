namespace Compass.Training.Modules;

/// <summary>CompressAI's MSE lambda ladder (docs/method.md#training-objective): quality 1..8 and its rate-distortion lambda.</summary>
public static class RateLadder
{
    /// <summary>Lambda of quality 1..8: 0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800.</summary>
    public static IReadOnlyList<double> Lambdas { get; } = [0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800];

    /// <summary>The lambda of <paramref name="quality"/> (1..8).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a quality of the ladder.</exception>
    public static double LambdaOf(int quality)
    {
        if (quality < 1 || quality > Lambdas.Count)
            throw new ArgumentOutOfRangeException(nameof(quality), quality, $"Quality must be 1..{Lambdas.Count}.");
        return Lambdas[quality - 1];
    }

    /// <summary>The quality whose lambda is <paramref name="lambda"/>, or null when it is not on the ladder.</summary>
    public static int? QualityOf(double lambda)
    {
        for (int i = 0; i < Lambdas.Count; i++)
            if (Math.Abs(Lambdas[i] - lambda) <= 1e-9) return i + 1;
        return null;
    }
}
