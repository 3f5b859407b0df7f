using Compass.Bundles;
using Compass.Training.Modules;

namespace Compass.Training.Refinement;

/// <summary>
/// The base codec's quantisation step at any quality of a variable-rate model, as the runtime derives it
/// (docs/model-bundle.md#variable-rate): the log-step interpolated linearly in quality between the anchors, the step
/// rounded to a multiple of 1/65536 (the stream's stepQ16).
/// </summary>
public sealed class LevelSteps
{
    private readonly (double Quality, double LogStep)[] _anchors;

    private LevelSteps((double Quality, double LogStep)[] anchors) => _anchors = anchors;

    /// <summary>The steps a bundle's manifest gives (its rate anchors' base log-steps): what <c>compass encode</c> uses.</summary>
    /// <exception cref="ArgumentException">The bundle is single-rate.</exception>
    public static LevelSteps FromBundle(string path)
    {
        var rate = ModelBundle.Load(path).Manifest.Rate
            ?? throw new ArgumentException($"'{path}' is a single-rate bundle: it has no rate anchors.", nameof(path));
        return new LevelSteps([.. rate.Anchors.Select(a => (a.Quality, a.BaseLogStep))]);
    }

    /// <summary>
    /// The steps <c>compass encode</c> would use for the model at <paramref name="path"/>: a bundle's anchors
    /// (<see cref="FromBundle"/>), else those of its <paramref name="codec"/> (<see cref="FromCodec"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A single-rate model.</exception>
    public static LevelSteps FromModel(string path, MeanScaleHyperprior codec) =>
        Import.BundleWeights.IsBundle(path) ? FromBundle(path) : FromCodec(codec);

    /// <summary>The steps of a variable-rate codec's levels (its <c>rate_log_steps</c>).</summary>
    /// <exception cref="ArgumentException">The codec is single-rate or has one level.</exception>
    public static LevelSteps FromCodec(MeanScaleHyperprior codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        if (codec.RateQualities.Count < 2) throw new ArgumentException("The codec needs at least two rate levels.", nameof(codec));
        var logSteps = codec.RateLogSteps();
        return new LevelSteps([.. codec.RateQualities.Select((q, i) => ((double)q, (double)logSteps[i])).OrderBy(a => a.Item1)]);
    }

    /// <summary>The lowest quality.</summary>
    public double QualityMin => _anchors[0].Quality;

    /// <summary>The highest quality.</summary>
    public double QualityMax => _anchors[^1].Quality;

    /// <summary>The quantisation step at <paramref name="quality"/> (a multiple of 1/65536).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside <see cref="QualityMin"/>..<see cref="QualityMax"/>.</exception>
    public float StepAt(double quality)
    {
        if (!(quality >= QualityMin && quality <= QualityMax))
            throw new ArgumentOutOfRangeException(nameof(quality), quality, $"The model codes qualities {QualityMin} to {QualityMax}.");
        int k = 0;
        while (k < _anchors.Length - 2 && quality > _anchors[k + 1].Quality) k++;
        var (a, b) = (_anchors[k], _anchors[k + 1]);
        double t = Math.Clamp((quality - a.Quality) / (b.Quality - a.Quality), 0, 1);
        double s = t == 1 ? b.LogStep : a.LogStep + (t * (b.LogStep - a.LogStep));
        double q16 = Math.Round(Math.Exp(s) * 65536, MidpointRounding.AwayFromZero);
        return (float)(Math.Clamp(q16, 1, (1 << 24) - 1) / 65536);
    }
}
