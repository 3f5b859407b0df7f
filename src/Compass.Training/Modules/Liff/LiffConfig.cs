namespace Compass.Training.Modules;

/// <summary>
/// Architecture of a <see cref="Liff"/> module (docs/method.md#liff): an RDN feature extractor without
/// upsampling, a 3x3 unfold, and an MLP that turns [unfolded feature, local coordinate, scale token]
/// into a per-pixel (9 * FeatureWidth) x 3 filter.
/// </summary>
/// <param name="FeatureWidth">G0: channels of the RDN features (and of each residual dense block's input/output).</param>
/// <param name="Blocks">D: number of residual dense blocks.</param>
/// <param name="LayersPerBlock">C: conv3x3 + ReLU layers per block, densely concatenated.</param>
/// <param name="GrowthRate">G: output channels of each dense layer.</param>
/// <param name="HiddenWidth">Width of the MLP's hidden layers.</param>
/// <param name="HiddenLayers">Number of hidden-to-hidden Linear + ReLU layers between the first and the last MLP layer.</param>
public sealed record LiffConfig(int FeatureWidth, int Blocks, int LayersPerBlock, int GrowthRate, int HiddenWidth, int HiddenLayers)
{
    /// <summary>Side of the unfolded neighbourhood (the official code fixes it at 3).</summary>
    public const int Kernel = 3;

    /// <summary>Output colour channels.</summary>
    public const int OutputChannels = 3;

    /// <summary>
    /// The official configuration (G0 = 64, RDN config 'D': 4 blocks x 4 layers, growth 32; MLP
    /// 580 -> 256, 3 x (256 -> 256), 256 -> 1728): 1,448,320 parameters, loads the official weights.
    /// </summary>
    public static LiffConfig Paper { get; } = new(64, 4, 4, 32, 256, 3);

    /// <summary>Channels of the unfolded feature: 9 * G0 (576 for the paper preset).</summary>
    public int UnfoldedWidth => FeatureWidth * Kernel * Kernel;

    /// <summary>MLP input width: unfolded feature, local coordinate (2) and scale token (2).</summary>
    public int MlpInputWidth => UnfoldedWidth + 4;

    /// <summary>MLP output width: a (9 * G0) x 3 filter per target pixel, index c_in * 3 + c_out.</summary>
    public int FilterWidth => UnfoldedWidth * OutputChannels;

    /// <summary>Throws <see cref="ArgumentException"/> when a size is not positive.</summary>
    public void Validate()
    {
        if (FeatureWidth < 1 || Blocks < 1 || LayersPerBlock < 1 || GrowthRate < 1 || HiddenWidth < 1 || HiddenLayers < 0)
            throw new ArgumentException($"Invalid LIFF configuration {this}: sizes must be positive (HiddenLayers >= 0).");
    }
}
