using System.Globalization;
using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Objectives;

/// <summary>
/// Common part of the four COMPASS stage objectives: every stage checkpoints the whole
/// <see cref="CompassNetwork"/> (keys <c>base.</c>, <c>liff.</c>, <c>residual.</c>) and trains some of its children.
/// </summary>
public abstract class CompassObjective : ITrainingObjective, IDisposable
{
    /// <summary>Creates the objective over <paramref name="network"/> (owned: disposed with the objective).</summary>
    /// <param name="network">The model.</param>
    /// <param name="lambda">Rate-distortion weight of <c>255^2 * MSE</c> (ignored by the LIFF stage).</param>
    protected CompassObjective(CompassNetwork network, double lambda)
    {
        Network = network ?? throw new ArgumentNullException(nameof(network));
        if (!(lambda > 0 && double.IsFinite(lambda))) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "Lambda must be positive.");
        Lambda = lambda;
    }

    /// <summary>The whole network (what every stage saves).</summary>
    public CompassNetwork Network { get; }

    /// <summary>The rate-distortion lambda.</summary>
    public double Lambda { get; }

    /// <summary>The stage this objective trains.</summary>
    public abstract TrainingStage Stage { get; }

    /// <summary>The children this stage trains (the others are left untouched).</summary>
    public abstract IReadOnlyList<string> TrainedChildren { get; }

    /// <inheritdoc />
    public nn.Module Model => Network;

    /// <inheritdoc />
    public abstract IEnumerable<Parameter> MainParameters();

    /// <inheritdoc />
    public virtual IEnumerable<Parameter> AuxiliaryParameters() => [];

    /// <inheritdoc />
    public virtual Tensor? AuxiliaryLoss() => null;

    /// <inheritdoc />
    public StepResult ComputeLoss(TrainingBatch batch, long step)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var (loss, metrics) = Compute(batch, training: true, step);
        return new StepResult(loss, metrics);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        return Compute(batch, training: false).Metrics;
    }

    /// <summary>The loss (graph attached when <paramref name="training"/>) and the metrics of one batch.</summary>
    protected abstract (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training);

    /// <summary>
    /// The qualities of the variable-rate levels this stage trains, one drawn per step (<see cref="QualityAtStep"/>);
    /// empty when it trains at one rate.
    /// </summary>
    public virtual IReadOnlyList<double> RateLevels => [];

    /// <summary>For a variable-rate stage, the quality of the level reported as <c>bpp</c> / <c>psnr</c> (the lambda's); otherwise null.</summary>
    public double? ReferenceQuality { get; private set; }

    /// <summary>The quality a variable-rate stage trains at in step <paramref name="step"/> (uniform over <see cref="RateLevels"/>,
    /// drawn from the step index, so a resumed run draws the same ones).</summary>
    /// <exception cref="InvalidOperationException">The stage is single-rate.</exception>
    public double QualityAtStep(long step)
    {
        var levels = RateLevels;
        if (levels.Count == 0) throw new InvalidOperationException("The stage trains a single-rate model.");
        return levels[new StepRandom(0, step, RandomStream.RateLevel).NextInt(levels.Count)];
    }

    /// <summary>
    /// Sets <see cref="ReferenceQuality"/> from <paramref name="lambda"/> when the stage is variable-rate (call it from the
    /// constructor, once <see cref="RateLevels"/> answers).
    /// </summary>
    /// <exception cref="ArgumentException">The lambda is not one of the levels'.</exception>
    protected void SetReferenceFromLambda(double lambda)
    {
        var levels = RateLevels;
        if (levels.Count == 0) return;
        // Matched by lambda, so a level of any quality (0.5 as well as 3) can be the reference.
        var matches = levels.Where(q => Math.Abs(RateLadder.LambdaOf(q) - lambda) <= 1e-9).ToList();
        ReferenceQuality = matches.Count == 1 ? matches[0]
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Lambda {lambda} is not one of the variable-rate levels' (qualities {LevelText(levels)})."), nameof(lambda));
    }

    /// <summary>Sets <see cref="ReferenceQuality"/> to <paramref name="quality"/>, one of <see cref="RateLevels"/>.</summary>
    /// <exception cref="ArgumentException">Not one of the levels.</exception>
    protected void SetReference(double quality)
    {
        ReferenceQuality = RateLevels.Contains(quality) ? quality
            : throw new ArgumentException($"Quality {RateLadder.Format(quality)} is not one of the variable-rate levels (qualities {LevelText(RateLevels)}).", nameof(quality));
    }

    /// <summary>
    /// Validation of a variable-rate stage: <paramref name="compute"/> at every level; the reference level's loss and
    /// metrics are the headline ones, every level adds <c>bpp_q{k}</c> / <c>psnr_q{k}</c> (<see cref="LevelMetricName"/>: <c>bpp_q3</c>, <c>bpp_q0.25</c>).
    /// </summary>
    protected (Tensor Loss, Dictionary<string, double> Metrics) AtEveryLevel(Func<double, (Tensor Loss, Dictionary<string, double> Metrics)> compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        double reference = ReferenceQuality ?? throw new InvalidOperationException("The stage trains a single-rate model.");
        var (loss, metrics) = compute(reference);
        foreach (var q in RateLevels)
        {
            var (levelLoss, levelMetrics) = q == reference ? (null, metrics) : compute(q);
            levelLoss?.Dispose();
            metrics = new Dictionary<string, double>(metrics, StringComparer.Ordinal);
            if (levelMetrics.TryGetValue("bpp", out var bpp)) metrics[LevelMetricName("bpp", q)] = bpp;
            metrics[LevelMetricName("psnr", q)] = levelMetrics["psnr"];
        }
        return (loss, metrics);
    }

    /// <summary>The training loss of step <paramref name="step"/>; stages whose batches depend on the step (a rate level) override it.</summary>
    protected virtual (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training, long step) => Compute(batch, training);

    /// <summary><c>rate + lambda * 255^2 * mse</c>.</summary>
    protected Tensor RateDistortion(Tensor rate, Tensor mse) => RateDistortion(rate, mse, Lambda);

    /// <summary>
    /// The validation metric of one level: <c>{metric}_q{quality}</c>, the quality in invariant culture and shortest exact form
    /// (<c>bpp_q3</c>, <c>psnr_q0.25</c>); <see cref="TryParseLevelMetricName"/> reads it back.
    /// </summary>
    public static string LevelMetricName(string metric, double quality) => metric + "_q" + RateLadder.Format(quality);

    /// <summary>Reads a name of <see cref="LevelMetricName"/> back (<c>psnr_q0.5</c> is psnr at quality 0.5).</summary>
    public static bool TryParseLevelMetricName(string name, out string metric, out double quality)
    {
        ArgumentNullException.ThrowIfNull(name);
        int at = name.LastIndexOf("_q", StringComparison.Ordinal);
        metric = at > 0 ? name[..at] : "";
        quality = 0;
        return at > 0 && double.TryParse(name.AsSpan(at + 2), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out quality)
            && RateLadder.IsLevelQuality(quality);
    }

    private static string LevelText(IEnumerable<double> levels) => string.Join(", ", levels.Select(RateLadder.Format));

    /// <summary>The lambda of a variable-rate level, or <see cref="Lambda"/> for null.</summary>
    protected double LambdaAt(double? quality) => quality is { } q ? RateLadder.LambdaOf(q) : Lambda;

    /// <summary><c>rate + lambda * 255^2 * mse</c> with another lambda (a rate level's).</summary>
    protected static Tensor RateDistortion(Tensor rate, Tensor mse, double lambda) => rate + mse * (lambda * 255 * 255);

    /// <summary>
    /// Adds <c>bpp</c> (total bits over the pixels of the given layers), <c>mse</c> and <c>psnr</c> (of the mean MSE
    /// of the clamped reconstructions) and per-layer <c>bpp{k}</c> / <c>psnr{k}</c> when there are several layers.
    /// </summary>
    internal static Dictionary<string, double> LayerMetrics(IReadOnlyList<(double Bpp, double Mse, long Pixels, int Index)> layers)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        double bits = 0, pixels = 0, mse = 0;
        foreach (var l in layers)
        {
            bits += l.Bpp * l.Pixels;
            pixels += l.Pixels;
            mse += l.Mse;
            if (layers.Count > 1)
            {
                if (!double.IsNaN(l.Bpp)) metrics[$"bpp{l.Index}"] = l.Bpp;
                metrics[$"psnr{l.Index}"] = Psnr(l.Mse);
            }
        }
        mse /= layers.Count;
        if (layers.Any(l => !double.IsNaN(l.Bpp))) metrics["bpp"] = bits / pixels;
        metrics["mse"] = mse;
        metrics["psnr"] = Psnr(mse);
        return metrics;
    }

    /// <summary>PSNR in dB of an MSE on [0, 1] images.</summary>
    internal static double Psnr(double mse) => 10 * Math.Log10(1 / Math.Max(mse, 1e-12));

    /// <summary>MSE of the reconstruction clamped to [0, 1] (what a viewer sees), as a double.</summary>
    internal static double ClampedMse(Tensor reconstruction, Tensor target)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return (reconstruction.detach().clamp(0, 1) - target).square().mean().item<float>();
    }

    /// <summary>Frees the network.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the network when <paramref name="disposing"/>.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) Network.Dispose();
    }
}
