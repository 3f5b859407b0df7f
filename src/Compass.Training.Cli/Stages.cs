using Compass.Training.Data;
using Compass.Training.Training;

namespace Compass.Training.Cli;

/// <summary>
/// The training stages compass-train knows, and how each is built. The real stages (bl, liff,
/// residual, joint) are wired here once the codec and LIFF modules are in this build.
/// </summary>
internal static class Stages
{
    public static readonly string[] Names = ["bl", "liff", "residual", "joint", "smoke"];

    /// <summary>Stages that train with a rate term and need --quality or --lambda.</summary>
    public static bool NeedsLambda(string stage) => stage is "bl" or "residual" or "joint" or "smoke";

    /// <summary>Default number of layers (base layer included) of a stage's training batches.</summary>
    public static int DefaultLayers(string stage) => stage == "bl" ? 1 : 3;

    /// <summary>The layer-size sampler of a stage.</summary>
    public static ScaleSampler ScalesFor(string stage, int layers) =>
        layers == 1 ? ScaleSampler.SingleLayer : ScaleSampler.Compass(layers - 1);

    /// <summary>The stage's objective, or null (with the reason) when this build cannot train it.</summary>
    public static ITrainingObjective? TryCreate(TrainSettings s, out string? reason)
    {
        reason = null;
        switch (s.Stage)
        {
            case "smoke":
                return new SmokeTestObjective(s.EffectiveLambda ?? 0.0067);
            default:
                reason = $"stage '{s.Stage}' is not available in this build yet (its modules are wired in after the codec and LIFF merge); only 'smoke' runs";
                return null;
        }
    }
}
