using Compass.Training.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Training;

/// <summary>
/// What a training stage plugs into the <see cref="Trainer"/>: the model, which of its parameters
/// each optimiser owns, and the losses. One implementation per stage (BL, LIFF pre-training,
/// residual pre-training, joint fine-tuning); the trainer does the rest (optimisers, schedule,
/// clipping, checkpoints, resume, progress, validation, model card).
/// </summary>
/// <remarks>
/// Randomness: the trainer seeds torch's global generator at the start of every step from
/// (seed, step), so draws such as <c>torch.rand_like</c> for quantisation noise are reproducible on
/// resume. Do not keep a private generator whose state is not in the checkpoint.
/// </remarks>
public interface ITrainingObjective
{
    /// <summary>
    /// The module whose <c>state_dict</c> is checkpointed (include frozen parts you need to restore;
    /// the trainer switches it between <c>train()</c> and <c>eval()</c>).
    /// </summary>
    nn.Module Model { get; }

    /// <summary>Parameters updated by the main Adam optimiser (exclude frozen ones and the auxiliary ones).</summary>
    IEnumerable<Parameter> MainParameters();

    /// <summary>
    /// Parameters of the auxiliary optimiser (Adam, <see cref="TrainerOptions.AuxLearningRate"/>):
    /// the entropy bottleneck's <c>quantiles</c>. Empty when the stage has none.
    /// </summary>
    IEnumerable<Parameter> AuxiliaryParameters();

    /// <summary>
    /// The training loss of one batch, with the graph attached, plus named metrics for the progress
    /// line (conventional names: <c>bpp</c>, <c>psnr</c>, <c>mse</c>). Called in training mode.
    /// </summary>
    StepResult ComputeLoss(TrainingBatch batch, long step);

    /// <summary>
    /// The auxiliary loss (e.g. <c>EntropyBottleneck.loss()</c>), computed after the main step;
    /// null when <see cref="AuxiliaryParameters"/> is empty.
    /// </summary>
    Tensor? AuxiliaryLoss();

    /// <summary>
    /// Validation metrics of one batch (the trainer calls it in eval mode under <c>no_grad</c>):
    /// as a real decoder would see it (rounding, not noise). Conventional names as above.
    /// </summary>
    IReadOnlyDictionary<string, double> Evaluate(TrainingBatch batch);
}

/// <summary>The result of <see cref="ITrainingObjective.ComputeLoss"/>.</summary>
/// <param name="Loss">Scalar loss tensor, differentiable.</param>
/// <param name="Metrics">Named scalar metrics of this batch (already read from their tensors).</param>
public sealed record StepResult(Tensor Loss, IReadOnlyDictionary<string, double> Metrics);
