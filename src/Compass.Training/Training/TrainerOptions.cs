namespace Compass.Training.Training;

/// <summary>Settings of a <see cref="Trainer"/> run.</summary>
public sealed record TrainerOptions
{
    /// <summary>Total steps of the run (a resumed run continues up to this).</summary>
    public long TotalSteps { get; init; } = 1000;

    /// <summary>Main optimiser's learning-rate schedule.</summary>
    public LearningRateSchedule Schedule { get; init; } = new(LearningRateScheduleKind.Step, 5e-4);

    /// <summary>Learning rate of the auxiliary (entropy-bottleneck quantiles) Adam optimiser.</summary>
    public double AuxLearningRate { get; init; } = 1e-3;

    /// <summary>Gradient-norm clip of the main parameters; 0 disables clipping.</summary>
    public double GradientClipNorm { get; init; } = 1.0;

    /// <summary>Seed of every random draw (data, scales, torch's generator per step).</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Folder of the run's checkpoints (keep it outside the repository).</summary>
    public string CheckpointFolder { get; init; } = "";

    /// <summary>Continue from the newest valid checkpoint in <see cref="CheckpointFolder"/> when there is one.</summary>
    public bool Resume { get; init; }

    /// <summary>Checkpoint every this many steps (0: only by time and at the end).</summary>
    public long CheckpointEverySteps { get; init; } = 1000;

    /// <summary>Checkpoint when this much wall time passed since the last one (null: only by steps).</summary>
    public TimeSpan? CheckpointInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Checkpoints kept in the folder.</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Progress line every this many steps.</summary>
    public int LogEverySteps { get; init; } = 50;

    /// <summary>Validate every this many steps (0: only at the end); needs a validation set.</summary>
    public long ValidateEverySteps { get; init; } = 500;

    /// <summary>Write compact float16 weights (<c>model-f16.weights</c> + card) when the run completes or is cancelled.</summary>
    public bool ExportCompactWeights { get; init; } = true;

    /// <summary>
    /// Also write the compact weights and their card at every checkpoint, not only at the end (with
    /// <see cref="ExportCompactWeights"/>): a run whose process may be killed without warning, such as one on a
    /// lent machine, then always leaves weights no older than the last checkpoint.
    /// </summary>
    public bool CompactWeightsEveryCheckpoint { get; init; }

    /// <summary>
    /// Optional time budget: the run stops once this much wall or CPU time (over all its sessions) is spent,
    /// and the learning-rate schedule follows the fraction of the budget used instead of the step count.
    /// </summary>
    public TrainingBudget? Budget { get; init; }

    /// <summary>What is being trained (for checkpoints and model cards).</summary>
    public RunDescription Run { get; init; } = new();

    /// <summary>
    /// The device the model, its batches, losses and optimiser states live on during the run (null: the CPU). The
    /// objective's model is moved there when the trainer is created; checkpoints and compact weights are written
    /// from CPU copies, so they load on any device.
    /// </summary>
    public TorchSharp.torch.Device? Device { get; init; }

    /// <summary>
    /// The card of the compact weights this run continues from (their weights already loaded into the model), or
    /// null. Without a checkpoint to resume, the run starts at the card's step with its wall and CPU seconds and
    /// validation, so the schedule and the data order go on where they stopped; the optimisers start afresh.
    /// </summary>
    public ModelCard? ContinueFrom { get; init; }
}
