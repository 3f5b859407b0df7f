using Compass.Training.Modules;
using Compass.Training.Training;

namespace Compass.Training.Objectives;

/// <summary>Builds the objective of a COMPASS training stage.</summary>
public static class StageObjectives
{
    /// <summary>The children whose trained weights a stage produces (what <c>--init</c> takes from its output by default).</summary>
    /// <exception cref="ArgumentException">Not a COMPASS stage (<see cref="TrainingStage.Smoke"/>).</exception>
    public static IReadOnlyList<string> ChildrenTrainedBy(TrainingStage stage) => stage switch
    {
        TrainingStage.BaseLayer => ["base"],
        TrainingStage.Liff => ["liff"],
        TrainingStage.Residual => ["residual"],
        TrainingStage.Joint => ["base", "liff", "residual"], // joint output carries its (frozen) BL too
        _ => throw new ArgumentException($"Stage '{stage.NameOf()}' trains no COMPASS children.", nameof(stage)),
    };

    /// <summary>Creates the objective of <paramref name="stage"/> over <paramref name="network"/> (owned by the result).</summary>
    /// <exception cref="ArgumentException">Not a COMPASS stage (<see cref="TrainingStage.Smoke"/>).</exception>
    public static CompassObjective Create(TrainingStage stage, CompassNetwork network, double lambda) => stage switch
    {
        TrainingStage.BaseLayer => new BaseLayerObjective(network, lambda),
        TrainingStage.Liff => new LiffObjective(network),
        TrainingStage.Residual => new ResidualObjective(network, lambda),
        TrainingStage.Joint => new JointObjective(network, lambda),
        _ => throw new ArgumentException(
            $"Stage '{stage.NameOf()}' is not a COMPASS stage; expected one of: {string.Join(", ", TrainingStages.Compass.Select(s => s.NameOf()))}.", nameof(stage)),
    };
}
