using Compass.Training.Data;
using Compass.Training.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Objectives;

/// <summary>
/// Stage <c>bl</c>: the base-layer codec as a single-layer codec on the whole crop,
/// <c>bpp + lambda * 255^2 * MSE</c>, plus the entropy bottleneck's auxiliary loss.
/// </summary>
public sealed class BaseLayerObjective : CompassObjective
{
    /// <summary>Creates the stage over <paramref name="network"/> (owned).</summary>
    public BaseLayerObjective(CompassNetwork network, double lambda) : base(network, lambda) { }

    /// <inheritdoc />
    public override string Stage => "bl";

    /// <inheritdoc />
    public override IReadOnlyList<string> TrainedChildren { get; } = ["base"];

    /// <inheritdoc />
    public override IEnumerable<Parameter> MainParameters() => Network.Base.MainParameters();

    /// <inheritdoc />
    public override IEnumerable<Parameter> AuxiliaryParameters() => Network.Base.AuxParameters();

    /// <inheritdoc />
    public override Tensor? AuxiliaryLoss() => Network.Base.AuxLoss();

    /// <inheritdoc />
    protected override (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training)
    {
        // The largest layer is the whole crop (the bl stage samples a single layer).
        var x = batch.Top;
        using var coded = Network.Base.Forward(x, training);
        var rate = CompassNetwork.Rate(coded, x);
        var mse = CompassNetwork.MseOf(coded.XHat, x);
        var loss = RateDistortion(rate, mse);
        var metrics = LayerMetrics([(rate.item<float>(), ClampedMse(coded.XHat, x), x.shape[0] * x.shape[2] * x.shape[3], 0)]);
        return (loss, metrics);
    }
}
