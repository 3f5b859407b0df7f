using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Objectives;

/// <summary>
/// Stage <c>bl</c>: the base-layer codec as a single-layer codec on the whole crop,
/// <c>bpp + lambda * 255^2 * MSE</c>, plus the entropy bottleneck's auxiliary loss.
/// </summary>
/// <remarks>
/// A variable-rate base codec (docs/method.md#variable-rate) trains every level: each step draws one level
/// (uniformly, from the step index, so a resumed run draws the same ones) and uses that quality's lambda.
/// Validation measures every level and reports the level of <see cref="CompassObjective.Lambda"/> as
/// <c>bpp</c> / <c>psnr</c>, the others as <c>bpp_q{k}</c> / <c>psnr_q{k}</c>.
/// </remarks>
public sealed class BaseLayerObjective : CompassObjective
{
    /// <summary>Creates the stage over <paramref name="network"/> (owned).</summary>
    /// <param name="network">The model.</param>
    /// <param name="lambda">The rate-distortion lambda; for a variable-rate base codec, the lambda of one of its levels (the one reported).</param>
    public BaseLayerObjective(CompassNetwork network, double lambda) : base(network, lambda)
    {
        SetReferenceFromLambda(lambda);
    }

    /// <inheritdoc />
    public override IReadOnlyList<double> RateLevels => Network.Base.RateQualities;

    /// <inheritdoc />
    public override TrainingStage Stage => TrainingStage.BaseLayer;

    /// <inheritdoc />
    public override IReadOnlyList<string> TrainedChildren { get; } = ["base"];

    /// <inheritdoc />
    public override IEnumerable<Parameter> MainParameters() => Network.Base.MainParameters();

    /// <inheritdoc />
    public override IEnumerable<Parameter> AuxiliaryParameters() => Network.Base.AuxParameters();

    /// <inheritdoc />
    public override Tensor? AuxiliaryLoss() => Network.Base.AuxLoss();

    /// <inheritdoc />
    protected override (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training) =>
        ReferenceQuality is null ? Compute(batch, training, quality: null) : AtEveryLevel(q => Compute(batch, training, q));

    /// <inheritdoc />
    protected override (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training, long step) =>
        ReferenceQuality is null ? Compute(batch, training, quality: null) : Compute(batch, training, QualityAtStep(step));

    private (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training, double? quality)
    {
        // The largest layer is the whole crop (the bl stage samples a single layer).
        var x = batch.Top;
        using var coded = quality is { } q ? Network.Base.Forward(x, training, q) : Network.Base.Forward(x, training);
        var rate = CompassNetwork.Rate(coded, x);
        var mse = CompassNetwork.MseOf(coded.XHat, x);
        var loss = quality is { } level ? RateDistortion(rate, mse, RateLadder.LambdaOf(level)) : RateDistortion(rate, mse);
        var metrics = LayerMetrics([(rate.item<float>(), ClampedMse(coded.XHat, x), x.shape[0] * x.shape[2] * x.shape[3], 0)]);
        return (loss, metrics);
    }
}
