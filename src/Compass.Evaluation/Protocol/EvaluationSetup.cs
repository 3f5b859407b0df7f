using System.Globalization;

namespace Compass.Evaluation;

/// <summary>
/// One layer configuration of a setup: the scales of its layers relative to the original image, e.g.
/// <c>0.25, 0.3</c> for the two-layer setup's final EL at 1.2x the base layer.
/// </summary>
/// <param name="Label">Column label, e.g. <c>1.2x</c> (the final layer's size over the base layer's).</param>
/// <param name="Ratio">The final layer's scale over the base layer's (1.2 ... 4.0); 1 for a single layer.</param>
/// <param name="Scales">Layer scales relative to the original, base layer first.</param>
public sealed record EvaluationConfiguration(string Label, double Ratio, IReadOnlyList<double> Scales)
{
    /// <summary>
    /// The layer plan for an image of <paramref name="width"/> x <paramref name="height"/>: layer k is
    /// <c>floor(width * s_k) x floor(height * s_k)</c> (<see cref="LayerPlan.FromScales(int, int, double[])"/>,
    /// the paper's rounding), e.g. 768x512 at 0.25, 0.3 gives <c>192x128,230x153</c>.
    /// </summary>
    /// <param name="width">Width of the original image.</param>
    /// <param name="height">Height of the original image.</param>
    /// <exception cref="ArgumentException">The image is too small for the plan (a side below 16 px in a plan of several layers).</exception>
    public LayerPlan PlanFor(int width, int height) => LayerPlan.FromScales(width, height, [.. Scales]);
}

/// <summary>
/// An evaluation setup of the COMPASS paper (docs/method.md#evaluation-protocol): the base layer at 0.25 of the
/// original and several final-layer sizes, or single-layer coding at the original size.
/// </summary>
public sealed class EvaluationSetup
{
    /// <summary>Scale of the base layer relative to the original image in the multi-layer setups.</summary>
    public const double BaseScale = 0.25;

    private EvaluationSetup(string name, int layerCount, IReadOnlyList<EvaluationConfiguration> configurations)
    {
        Name = name;
        LayerCount = layerCount;
        Configurations = configurations;
    }

    /// <summary>Two layers: BL at 0.25, final EL at 1.2, 1.6, 2.0, 2.4 and 2.8x the BL (0.30 ... 0.70 of the original).</summary>
    public static EvaluationSetup TwoLayer { get; } = new("two-layer", 2,
        [.. new[] { 1.2, 1.6, 2.0, 2.4, 2.8 }.Select(r => Configuration(r, BaseScale, Scaled(r)))]);

    /// <summary>Three layers: BL at 0.25, EL1 at 2.0x the BL (0.5), final EL at 2.4, 2.8, 3.2, 3.6 and 4.0x the BL (0.6 ... 1.0).</summary>
    public static EvaluationSetup ThreeLayer { get; } = new("three-layer", 3,
        [.. new[] { 2.4, 2.8, 3.2, 3.6, 4.0 }.Select(r => Configuration(r, BaseScale, Scaled(2.0), Scaled(r)))]);

    /// <summary>One layer at the original size: the base codec as a single-layer codec, to compare with classic codecs.</summary>
    public static EvaluationSetup Single { get; } = new("single", 1, [new EvaluationConfiguration("original", 1.0, [1.0])]);

    /// <summary>Every setup, in the order of the paper's table.</summary>
    public static IReadOnlyList<EvaluationSetup> All { get; } = [TwoLayer, ThreeLayer, Single];

    /// <summary>The setup's name: <c>two-layer</c>, <c>three-layer</c> or <c>single</c>.</summary>
    public string Name { get; }

    /// <summary>Layers per stream in this setup.</summary>
    public int LayerCount { get; }

    /// <summary>The layer configurations (the columns of the paper's table).</summary>
    public IReadOnlyList<EvaluationConfiguration> Configurations { get; }

    /// <summary>Whether this setup codes several layers (and so has simulcast and single-layer baselines).</summary>
    public bool IsScalable => LayerCount > 1;

    /// <summary>Finds a setup by <see cref="Name"/> (case-insensitive).</summary>
    /// <param name="name">The setup's name.</param>
    /// <exception cref="ArgumentException">No setup has that name.</exception>
    public static EvaluationSetup Parse(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown setup '{name}'; known: {string.Join(", ", All.Select(s => s.Name))}.", nameof(name));

    /// <inheritdoc />
    public override string ToString() => Name;

    // 0.25 * 1.2 is 0.30000000000000004 in binary; rounding to 6 decimals gives the decimal scale the
    // paper means, and LayerPlan.FromScales floors it with its own epsilon.
    private static double Scaled(double ratio) => Math.Round(BaseScale * ratio, 6);

    private static EvaluationConfiguration Configuration(double ratio, params double[] scales) =>
        new(ratio.ToString("0.0", CultureInfo.InvariantCulture) + "x", ratio, scales);
}
