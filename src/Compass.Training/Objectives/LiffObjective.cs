using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Objectives;

/// <summary>
/// Stage <c>liff</c>: LIFF pre-trained as arbitrary-scale super-resolution. Loss: the mean over k &gt;= 1 of
/// <c>MSE(LIFF(I_(k-1), H_k, W_k), I_k)</c> on the clean downscaled layers of the batch.
/// </summary>
/// <remarks>
/// Clean inputs are what the authors pre-train on. The option for base-layer-decoded inputs (closer to
/// what LIFF sees in COMPASS) is <see cref="DecodedBaseInput"/>: the first input is then the frozen BL's
/// reconstruction, which needs a trained <c>base</c> (see <c>--init</c>).
/// </remarks>
public sealed class LiffObjective : CompassObjective
{
    /// <summary>Creates the stage over <paramref name="network"/> (owned).</summary>
    /// <param name="network">The model.</param>
    /// <param name="decodedBaseInput">Predict the first enhancement layer from the BL reconstruction instead of the clean BL image.</param>
    public LiffObjective(CompassNetwork network, bool decodedBaseInput = false) : this(network, decodedBaseInput, null) { }

    /// <summary>
    /// Creates the stage over <paramref name="network"/> (owned); with a variable-rate base codec and decoded input, each step
    /// decodes the base layer at a level drawn per step, and validation at <paramref name="referenceQuality"/>.
    /// </summary>
    /// <param name="network">The model.</param>
    /// <param name="decodedBaseInput">Predict the first enhancement layer from the BL reconstruction instead of the clean BL image.</param>
    /// <param name="referenceQuality">The base codec's level validated; required when the base codec is variable-rate and the input decoded.</param>
    /// <exception cref="ArgumentException">A variable-rate base codec with decoded input and no reference level among its levels.</exception>
    public LiffObjective(CompassNetwork network, bool decodedBaseInput, double? referenceQuality) : base(network, 1.0)
    {
        DecodedBaseInput = decodedBaseInput;
        if (RateLevels.Count > 0)
        {
            SetReference(referenceQuality ?? throw new ArgumentException(
                "The base codec is variable-rate: give the level LIFF's decoded input is validated at.", nameof(referenceQuality)));
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<double> RateLevels => DecodedBaseInput ? Network.Base.RateQualities : [];

    /// <summary>Whether the first prediction starts from the base codec's reconstruction.</summary>
    public bool DecodedBaseInput { get; }

    /// <inheritdoc />
    public override TrainingStage Stage => TrainingStage.Liff;

    /// <inheritdoc />
    public override IReadOnlyList<string> TrainedChildren { get; } = ["liff"];

    /// <inheritdoc />
    public override IEnumerable<Parameter> MainParameters() => Network.Liff.parameters();

    /// <inheritdoc />
    protected override (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training) =>
        Compute(batch, ReferenceQuality);

    /// <inheritdoc />
    protected override (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, bool training, long step) =>
        Compute(batch, ReferenceQuality is null ? null : QualityAtStep(step));

    private (Tensor Loss, Dictionary<string, double> Metrics) Compute(TrainingBatch batch, double? quality)
    {
        if (batch.Layers.Count < 2) throw new ArgumentException("The liff stage needs at least two layers per batch.", nameof(batch));
        Tensor total = zeros(1).squeeze();
        var layers = new List<(double, double, long, int)>();
        for (int k = 1; k < batch.Layers.Count; k++)
        {
            var source = batch.Layers[k - 1];
            if (k == 1 && DecodedBaseInput)
            {
                using var _ = no_grad();
                using var bl = CompassNetwork.CodeAt(Network.Base, source, training: false, quality);
                source = bl.XHat.detach();
            }
            var target = batch.Layers[k];
            var prediction = Network.Liff.Predict(source, (int)target.shape[2], (int)target.shape[3]);
            var mse = CompassNetwork.MseOf(prediction, target);
            total = total + mse;
            layers.Add((double.NaN, ClampedMse(prediction, target), target.shape[0] * target.shape[2] * target.shape[3], k));
        }
        var metrics = LayerMetrics(layers);
        return (total / (batch.Layers.Count - 1), metrics);
    }
}
