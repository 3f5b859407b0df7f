using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Objectives;
using Compass.Training.Training;

namespace Compass.Training.Cli;

/// <summary>The validated arguments of <c>compass-train train</c>.</summary>
internal sealed record TrainSettings
{
    public required TrainingStage Stage { get; init; }
    public required string Preset { get; init; }
    public int? Quality { get; init; }
    public double? Lambda { get; init; }
    public required long Steps { get; init; }
    public TrainingBudget? Budget { get; init; }
    public required int Crop { get; init; }
    public required int Batch { get; init; }
    public required int Layers { get; init; }
    public required LearningRateSchedule Schedule { get; init; }
    public required double AuxLearningRate { get; init; }
    public required double Clip { get; init; }
    public required long Seed { get; init; }
    public required string Data { get; init; }
    public string? Validation { get; init; }
    public required int ValidationCount { get; init; }
    public required int ValidationCrop { get; init; }
    public required long ValidateEvery { get; init; }
    public required string Out { get; init; }
    public required bool Resume { get; init; }
    public required int Threads { get; init; }

    /// <summary><c>--device</c>: cpu, cuda or auto.</summary>
    public string Device { get; init; } = "cpu";
    public required int LogEvery { get; init; }
    public required long CheckpointEvery { get; init; }
    public required double CheckpointMinutes { get; init; }
    public required int Keep { get; init; }

    /// <summary><c>--weights-every-checkpoint</c>: compact weights at every checkpoint too.</summary>
    public bool WeightsEveryCheckpoint { get; init; }
    public required SmallImagePolicy SmallImages { get; init; }

    /// <summary>Stage liff, <c>--liff-input</c>: <c>clean</c>, <c>decoded</c> (EL1 predicted from the base-layer codec's
    /// reconstruction), or <c>auto</c> (decoded when --init loads a trained base layer, else clean).</summary>
    public string LiffInput { get; init; } = "auto";

    /// <summary>Stage bl: the qualities of a variable-rate base codec's levels (<c>--variable-rate</c>); empty: single-rate.</summary>
    public IReadOnlyList<double> RateQualities { get; init; } = [];

    /// <summary>The objective variant recorded in checkpoints and cards (resuming needs the same), or null for the stage's default.</summary>
    /// <param name="objective">The stage's objective (whether LIFF predicts from decoded input is decided when it is built).</param>
    public string? VariantOf(ITrainingObjective objective) => objective is LiffObjective { DecodedBaseInput: true } ? "liff-input=decoded"
        : RateQualities.Count > 0 ? "variable-rate=" + string.Join(",", RateQualities.Select(RateLadder.Format)) : null;

    /// <summary>--resume-weights: compact weights (with their card beside them) of this run to continue from, or null.</summary>
    public string? ResumeWeights { get; init; }

    /// <summary>--init values: <c>[children=]file</c> of earlier stages' outputs, applied in order.</summary>
    public IReadOnlyList<string> Init { get; init; } = [];

    /// <summary>Lambda from --lambda, else from --quality, else null.</summary>
    public double? EffectiveLambda => Lambda ?? (Quality is { } q ? RateLadder.LambdaOf(q) : null);
}
