using System.Text.Json;

namespace Compass.Evaluation;

/// <summary>
/// One rate point of a curve: a model at one quality. A curve (COMPASS, simulcast, single-layer) is made
/// of one point per evaluated model, so BD-rate needs a ladder of several of them.
/// </summary>
/// <param name="Name">A unique name for tables and plots (e.g. the bundle manifest's name).</param>
/// <param name="Model">The networks; the evaluator does not dispose it.</param>
/// <param name="Quality">The quality of <paramref name="Model"/> to code with: one of its levels, or any value in the range of a
/// variable-rate model (<see cref="CompassModel.IsAvailable"/>).</param>
public sealed record EvaluatedModel(string Name, CompassModel Model, Quality Quality)
{
    /// <summary>A human-readable description (preset, training); defaults to <see cref="CompassModel.Description"/>.</summary>
    public string? Description { get; init; }

    /// <summary>The bundle's model card (training time, data, its own Kodak numbers), copied into the results when known.</summary>
    public JsonElement? Card { get; init; }
}
