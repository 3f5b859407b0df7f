using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Objectives;

/// <summary>
/// Stage <c>joint</c>: LIFF and the residual codec fine-tuned together with the combined RD loss
/// <c>sum_(k&gt;=1) (R_k + lambda * 255^2 * MSE_k)</c> through the full COMPASS recursion
/// (<see cref="CompassNetwork.Forward(IReadOnlyList{Tensor}, bool, double?)"/>); the base layer is frozen (its parameters stop requiring gradients).
/// Auxiliary loss: the residual codec's.
/// </summary>
/// <remarks>
/// A variable-rate model trains every level: each step draws one quality, which sets the (frozen) base codec's step,
/// the residual codec's step and the lambda; validation measures every level.
/// </remarks>
public sealed class JointObjective : CompassObjective
{
    /// <summary>Creates the stage over <paramref name="network"/> (owned) and freezes its base codec.</summary>
    /// <param name="network">The model.</param>
    /// <param name="lambda">The rate-distortion lambda; for a variable-rate model, the lambda of one of its levels (the one reported).</param>
    public JointObjective(CompassNetwork network, double lambda) : base(network, lambda)
    {
        foreach (var p in network.Base.parameters()) p.requires_grad = false;
        SetReferenceFromLambda(lambda);
    }

    /// <inheritdoc />
    public override IReadOnlyList<double> RateLevels => Network.Residual.IsVariableRate ? Network.Residual.RateQualities : Network.Base.RateQualities;

    /// <inheritdoc />
    public override TrainingStage Stage => TrainingStage.Joint;

    /// <inheritdoc />
    public override IReadOnlyList<string> TrainedChildren { get; } = ["liff", "residual"];

    /// <inheritdoc />
    public override IEnumerable<Parameter> MainParameters() => Network.Liff.parameters().Concat(Network.Residual.MainParameters());

    /// <inheritdoc />
    public override IEnumerable<Parameter> AuxiliaryParameters() => Network.Residual.AuxParameters();

    /// <inheritdoc />
    public override Tensor? AuxiliaryLoss() => Network.Residual.AuxLoss();

    /// <inheritdoc />
    protected override (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training) =>
        ReferenceQuality is null ? Compute(batch, training, quality: null) : AtEveryLevel(q => Compute(batch, training, q));

    /// <inheritdoc />
    protected override (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training, long step) =>
        Compute(batch, training, ReferenceQuality is null ? null : QualityAtStep(step));

    private (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training, double? quality)
    {
        if (batch.Layers.Count < 2) throw new ArgumentException("The joint stage needs at least two layers per batch.", nameof(batch));
        var result = Network.Forward(batch.Layers, training, quality);
        Tensor total = zeros(1).squeeze();
        var layers = new List<(double, double, long, int)>();
        for (int k = 1; k < result.Layers.Count; k++)
        {
            var l = result.Layers[k];
            var target = batch.Layers[k];
            total = total + RateDistortion(l.Rate, l.Mse, LambdaAt(quality));
            layers.Add((l.Rate.item<float>(), ClampedMse(l.Reconstruction, target), target.shape[0] * target.shape[2] * target.shape[3], k));
        }
        var metrics = LayerMetrics(layers);
        var bl = result.Layers[0];
        metrics["bpp0"] = bl.Rate.item<float>();
        metrics["psnr0"] = Psnr(ClampedMse(bl.Reconstruction, batch.Layers[0]));
        return (total, metrics);
    }
}
