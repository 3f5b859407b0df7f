using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Objectives;

/// <summary>
/// Stage <c>residual</c>: the residual codec pre-trained with a bicubic predictor. For every enhancement
/// layer, <c>r_k = I_k - bicubic_up(I_(k-1))</c> (clean layers) is coded and the loss is
/// <c>sum_k (R_k + lambda * 255^2 * MSE_k)</c> with <c>MSE_k</c> of <c>bicubic_up(I_(k-1)) + r̂_k</c> against I_k;
/// plus the residual codec's auxiliary loss.
/// </summary>
/// <remarks>
/// A variable-rate residual codec trains every level as the base codec does in stage <c>bl</c>: each step draws one
/// level and uses that quality's lambda; validation measures every level.
/// </remarks>
public sealed class ResidualObjective : CompassObjective
{
    /// <summary>Creates the stage over <paramref name="network"/> (owned).</summary>
    /// <param name="network">The model.</param>
    /// <param name="lambda">The rate-distortion lambda; for a variable-rate residual codec, the lambda of one of its levels (the one reported).</param>
    public ResidualObjective(CompassNetwork network, double lambda) : base(network, lambda)
    {
        SetReferenceFromLambda(lambda);
    }

    /// <inheritdoc />
    public override IReadOnlyList<double> RateLevels => Network.Residual.RateQualities;

    /// <inheritdoc />
    public override TrainingStage Stage => TrainingStage.Residual;

    /// <inheritdoc />
    public override IReadOnlyList<string> TrainedChildren { get; } = ["residual"];

    /// <inheritdoc />
    public override IEnumerable<Parameter> MainParameters() => Network.Residual.MainParameters();

    /// <inheritdoc />
    public override IEnumerable<Parameter> AuxiliaryParameters() => Network.Residual.AuxParameters();

    /// <inheritdoc />
    public override Tensor? AuxiliaryLoss() => Network.Residual.AuxLoss();

    /// <summary>
    /// Pillow-style bicubic upscaling (a = -0.5, libtorch's antialiased bicubic, which for upscaling is the
    /// plain Keys kernel with Pillow's coefficient), not clamped.
    /// </summary>
    public static Tensor BicubicUp(Tensor images, int height, int width) =>
        nn.functional.interpolate(images, size: [height, width], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true);

    /// <inheritdoc />
    protected override (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training) =>
        ReferenceQuality is null ? Compute(batch, training, quality: null) : AtEveryLevel(q => Compute(batch, training, q));

    /// <inheritdoc />
    protected override (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training, long step) =>
        Compute(batch, training, ReferenceQuality is null ? null : QualityAtStep(step));

    private (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training, double? quality)
    {
        if (batch.Layers.Count < 2) throw new ArgumentException("The residual stage needs at least two layers per batch.", nameof(batch));
        Tensor total = zeros(1).squeeze();
        var layers = new List<(double, double, long, int)>();
        for (int k = 1; k < batch.Layers.Count; k++)
        {
            var target = batch.Layers[k];
            Tensor prediction;
            using (no_grad()) prediction = BicubicUp(batch.Layers[k - 1], (int)target.shape[2], (int)target.shape[3]);
            using var coded = CompassNetwork.CodeAt(Network.Residual, target - prediction, training, quality);
            var reconstruction = prediction + coded.XHat;
            var rate = CompassNetwork.Rate(coded, target);
            total = total + RateDistortion(rate, CompassNetwork.MseOf(reconstruction, target), LambdaAt(quality));
            layers.Add((rate.item<float>(), ClampedMse(reconstruction, target), target.shape[0] * target.shape[2] * target.shape[3], k));
        }
        return (total, LayerMetrics(layers));
    }
}
