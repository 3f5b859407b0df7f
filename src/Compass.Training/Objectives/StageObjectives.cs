using Compass.Training.Modules;

namespace Compass.Training.Objectives;

/// <summary>Builds the objective of a COMPASS training stage.</summary>
public static class StageObjectives
{
    /// <summary>The stage names, in training order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["bl", "liff", "residual", "joint"];

    /// <summary>The children whose trained weights a stage produces (what <c>--init</c> takes from its output by default).</summary>
    public static IReadOnlyList<string> ChildrenTrainedBy(string stage) => stage switch
    {
        "bl" => ["base"],
        "liff" => ["liff"],
        "residual" => ["residual"],
        "joint" => ["base", "liff", "residual"], // joint output carries its (frozen) BL too
        _ => throw new ArgumentException($"Unknown stage '{stage}'.", nameof(stage)),
    };

    /// <summary>Creates the objective of <paramref name="stage"/> over <paramref name="network"/> (owned by the result).</summary>
    /// <exception cref="ArgumentException">Unknown stage.</exception>
    public static CompassObjective Create(string stage, CompassNetwork network, double lambda) => stage switch
    {
        "bl" => new BaseLayerObjective(network, lambda),
        "liff" => new LiffObjective(network),
        "residual" => new ResidualObjective(network, lambda),
        "joint" => new JointObjective(network, lambda),
        _ => throw new ArgumentException($"Unknown stage '{stage}'; expected one of: {string.Join(", ", Names)}.", nameof(stage)),
    };
}
