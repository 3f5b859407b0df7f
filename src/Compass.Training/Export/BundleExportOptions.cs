using System.Text.Json;

namespace Compass.Training.Export;

/// <summary>What <see cref="BundleExporter.Export"/> writes into the manifest, and how.</summary>
public sealed record BundleExportOptions
{
    /// <summary>The bundle's name (e.g. "compass-compact-q3").</summary>
    public required string Name { get; init; }

    /// <summary>The architecture preset the networks were built with (e.g. "paper", "compact").</summary>
    public required string Preset { get; init; }

    /// <summary>
    /// The quality level a single-rate bundle provides (1 = fewest bits); required for single-rate networks, unused for
    /// variable-rate ones (their levels are the bundle's rate anchors).
    /// </summary>
    public int? Quality { get; init; }

    /// <summary>The rate-distortion lambda single-rate networks were trained with, when known (variable-rate anchors carry their levels' lambdas).</summary>
    public double? Lambda { get; init; }

    /// <summary>
    /// For a variable-rate model whose other codec is single-rate: the quality that single-rate codec was trained at. Its
    /// log-steps at the anchors are then derived by the rule <c>s_q = 0.5 ln(lambda_ref / lambda_q)</c> (the step that keeps
    /// <c>lambda * step^2</c> constant), and the card says so. Null: such a model is refused.
    /// </summary>
    public int? DeriveStepsFromQuality { get; init; }

    /// <summary>The model card, passed through as given (preset, data, steps, wall time, Kodak numbers...).</summary>
    public JsonElement? Card { get; init; }

    /// <summary>Also write <c>{outFolder}.zip</c> next to the folder.</summary>
    public bool Zip { get; init; }

    /// <summary>The Gaussian scale table of both codecs; null for CompressAI's default 64-entry table.</summary>
    public float[]? ScaleTable { get; init; }
}
