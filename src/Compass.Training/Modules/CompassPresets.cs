namespace Compass.Training.Modules;

/// <summary>The sizes of a <see cref="CompassNetwork"/>: both codecs and the LIFF predictor.</summary>
/// <param name="Name">Preset name (<c>paper</c>, <c>compact</c>, <c>slim</c>).</param>
/// <param name="BaseN">Transform channels of the base-layer codec.</param>
/// <param name="BaseM">Latent channels of the base-layer codec.</param>
/// <param name="ResidualN">Transform channels of the residual codec.</param>
/// <param name="ResidualM">Latent channels of the residual codec.</param>
/// <param name="Liff">The LIFF architecture.</param>
public sealed record CompassPreset(string Name, int BaseN, int BaseM, int ResidualN, int ResidualM, LiffConfig Liff)
{
    /// <summary>The nonlinearity of both codecs' transforms (GDN unless the preset says otherwise).</summary>
    public CodecNonlinearity Nonlinearity { get; init; } = CodecNonlinearity.Gdn;
}

/// <summary>The named model sizes (see docs/training.md for how <c>compact</c> was chosen).</summary>
public static class CompassPresets
{
    /// <summary>The paper's sizes: N = 128, M = 192 for both codecs, LIFF with G0 = 64, D = 4, C = 4, G = 32, hidden 256 x 3.</summary>
    public static CompassPreset Paper { get; } = new("paper", 128, 192, 128, 192, LiffConfig.Paper);

    /// <summary>
    /// Sized for a 2-core CPU by measured step time: N = 64, M = 96 for both codecs (the size that trained
    /// best per CPU-hour here), LIFF with G0 = 32, D = 2, C = 3, G = 16, hidden 64 x 2.
    /// </summary>
    public static CompassPreset Compact { get; } = new("compact", 64, 96, 64, 96, new LiffConfig(32, 2, 3, 16, 64, 2));

    /// <summary>
    /// Narrower codecs for the width experiments of the training-economy work: N = 48, M = 72, with
    /// <see cref="Compact"/>'s LIFF (docs/training.md reports how it trains per CPU-hour).
    /// </summary>
    public static CompassPreset Slim { get; } = new("slim", 48, 72, 48, 72, Compact.Liff);

    /// <summary>
    /// <see cref="Compact"/> with simplified GDN (<c>x / (beta + gamma |x|)</c>, Johnston et al. 2019) in both codecs:
    /// the cheaper-nonlinearity experiment of the training-economy work.
    /// </summary>
    public static CompassPreset CompactSimplifiedGdn { get; } = Compact with { Name = "compact-sgdn", Nonlinearity = CodecNonlinearity.SimplifiedGdn };

    /// <summary><see cref="Compact"/> with ReLU instead of GDN in both codecs (the cheapest nonlinearity).</summary>
    public static CompassPreset CompactRelu { get; } = Compact with { Name = "compact-relu", Nonlinearity = CodecNonlinearity.Relu };

    /// <summary>All presets, by name.</summary>
    public static IReadOnlyList<CompassPreset> All { get; } = [Paper, Compact, Slim, CompactSimplifiedGdn, CompactRelu];

    /// <summary>The preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such preset.</exception>
    public static CompassPreset Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown preset '{name}'; expected one of: {string.Join(", ", All.Select(p => p.Name))}.", nameof(name));
}
