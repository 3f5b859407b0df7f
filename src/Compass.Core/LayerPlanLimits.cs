namespace Compass;

/// <summary>
/// Resource limits a <see cref="LayerPlan"/> must respect. The defaults suit photographs up to a few
/// hundred megapixels; lower them when plans come from untrusted input and memory is tight.
/// </summary>
public sealed record LayerPlanLimits
{
    /// <summary>Default <see cref="MaxTotalPixels"/>: 256 Mi pixels (268,435,456) summed over all layers.</summary>
    public const long DefaultMaxTotalPixels = 256L * 1024 * 1024;

    /// <summary>The defaults: at most <see cref="LayerPlan.MaxLayerCount"/> layers and <see cref="DefaultMaxTotalPixels"/> pixels.</summary>
    public static LayerPlanLimits Default { get; } = new();

    /// <summary>
    /// Largest allowed sum of the pixel counts of all layers (default <see cref="DefaultMaxTotalPixels"/>).
    /// Bounds the memory a decoder needs for one plan. Must be positive.
    /// </summary>
    public long MaxTotalPixels
    {
        get;
        init => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxTotalPixels), value, "MaxTotalPixels must be positive.");
    } = DefaultMaxTotalPixels;

    /// <summary>
    /// Largest allowed number of layers, 1 to <see cref="LayerPlan.MaxLayerCount"/> (the default).
    /// It can tighten the format's limit, never widen it.
    /// </summary>
    public int MaxLayers
    {
        get;
        init => field = value is >= 1 and <= LayerPlan.MaxLayerCount
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxLayers), value, $"MaxLayers must be between 1 and {LayerPlan.MaxLayerCount}.");
    } = LayerPlan.MaxLayerCount;
}
