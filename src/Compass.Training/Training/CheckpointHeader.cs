namespace Compass.Training.Training;

/// <summary>
/// What a training run is (stage, preset, rate point, data) — written into every checkpoint and
/// model card. Resuming with a different stage, preset, lambda or objective variant is refused
/// (<see cref="IsSameRunAs"/>).
/// </summary>
public sealed record RunDescription
{
    /// <summary>Training stage (written as its short name: <c>bl</c>, <c>liff</c>, <c>residual</c>, <c>joint</c>, <c>smoke</c>).</summary>
    public TrainingStage Stage { get; init; }

    /// <summary>Model preset, e.g. <c>paper</c> (N=128, M=192) or <c>compact</c>.</summary>
    public string Preset { get; init; } = "";

    /// <summary>Rate-distortion trade-off; null for stages without a rate term.</summary>
    public double? Lambda { get; init; }

    /// <summary>Quality index (1..8) when lambda came from the ladder.</summary>
    public int? Quality { get; init; }

    /// <summary>Training image folder.</summary>
    public string? DataFolder { get; init; }

    /// <summary>Usable training images.</summary>
    public int? DataImageCount { get; init; }

    /// <summary>Validation image folder, if any.</summary>
    public string? ValidationFolder { get; init; }

    /// <summary>Crop side in pixels.</summary>
    public int CropSize { get; init; }

    /// <summary>Crops per batch.</summary>
    public int BatchSize { get; init; }

    /// <summary>Intra-op threads of libtorch.</summary>
    public int Threads { get; init; }

    /// <summary>The <c>--init</c> values the run started from (its lineage), or null.</summary>
    public IReadOnlyList<string>? Init { get; init; }

    /// <summary>Objective options that differ from the stage's default (e.g. <c>liff-input=decoded</c>), or null.</summary>
    public string? Variant { get; init; }

    /// <summary>
    /// Whether <paramref name="other"/> trains the same thing: the same stage, preset, lambda and objective
    /// variant, which a resumed or continued run must keep (data, batch and threads may change).
    /// </summary>
    public bool IsSameRunAs(RunDescription other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Stage == other.Stage && Preset == other.Preset && Lambda == other.Lambda && Variant == other.Variant;
    }

    /// <summary>What <see cref="IsSameRunAs"/> compares, for messages: <c>stage bl, preset compact, lambda 0.0067, variant 'none'</c>.</summary>
    public string DescribeIdentity() =>
        FormattableString.Invariant($"stage {Stage.NameOf()}, preset {Preset}, lambda {Lambda}, variant '{Variant ?? "none"}'");
}

/// <summary>The JSON header of a checkpoint file (see <see cref="Checkpoint"/>).</summary>
public sealed record CheckpointHeader
{
    /// <summary>Completed training steps: a resumed run continues with this step index.</summary>
    public long Step { get; init; }

    /// <summary>The run's planned total steps.</summary>
    public long TotalSteps { get; init; }

    /// <summary>The run's seed (all randomness derives from it and the step).</summary>
    public long Seed { get; init; }

    /// <summary>The learning-rate schedule (<see cref="LearningRateSchedule.ToString"/>); the schedule's only state.</summary>
    public string Schedule { get; init; } = "";

    /// <summary>The run's time budget (<see cref="TrainingBudget.ToString"/>), when it trains for a fixed time; null otherwise.</summary>
    public string? Budget { get; init; }

    /// <summary>Learning rate of the last completed step.</summary>
    public double LearningRate { get; init; }

    /// <summary>What is being trained.</summary>
    public RunDescription Run { get; init; } = new();

    /// <summary>Wall-clock seconds spent training, summed over resumed sessions.</summary>
    public double WallSeconds { get; init; }

    /// <summary>Process CPU seconds spent training, summed over resumed sessions.</summary>
    public double CpuSeconds { get; init; }

    /// <summary>Metrics of the latest validation, if any.</summary>
    public IReadOnlyDictionary<string, double>? Validation { get; init; }

    /// <summary>Step of the latest validation.</summary>
    public long? ValidationStep { get; init; }

    /// <summary>Training metrics averaged over the last progress interval.</summary>
    public IReadOnlyDictionary<string, double>? TrainMetrics { get; init; }

    /// <summary>Git commit of the code that trained, if known.</summary>
    public string? GitCommit { get; init; }

    /// <summary>When the checkpoint was written.</summary>
    public DateTimeOffset CreatedUtc { get; init; }
}
