using System.Text.Json;

namespace Compass.Training.Export;

/// <summary>What <see cref="BundleExporter.Export"/> writes into the manifest, and how.</summary>
public sealed record BundleExportOptions
{
    /// <summary>The bundle's name (e.g. "compass-compact-q3").</summary>
    public required string Name { get; init; }

    /// <summary>The architecture preset the networks were built with (e.g. "paper", "compact").</summary>
    public required string Preset { get; init; }

    /// <summary>The quality level this bundle provides (1 = fewest bits).</summary>
    public required int Quality { get; init; }

    /// <summary>The rate-distortion lambda the networks were trained with, when known.</summary>
    public double? Lambda { get; init; }

    /// <summary>The model card, passed through as given (preset, data, steps, wall time, Kodak numbers...).</summary>
    public JsonElement? Card { get; init; }

    /// <summary>Also write <c>{outFolder}.zip</c> next to the folder.</summary>
    public bool Zip { get; init; }

    /// <summary>The Gaussian scale table of both codecs; null for CompressAI's default 64-entry table.</summary>
    public float[]? ScaleTable { get; init; }
}
