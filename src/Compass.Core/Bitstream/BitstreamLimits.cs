namespace Compass.Bitstream;

/// <summary>
/// Limits a <see cref="BitstreamReader"/> enforces before it allocates anything, so a hostile or corrupt
/// stream cannot make it reserve more memory than a real stream of the same plan would need. The writer
/// enforces the same limits, so every stream it writes can be read back.
/// </summary>
public sealed record BitstreamLimits
{
    /// <summary>Default <see cref="MaxPayloadBytes"/>: 256 MiB.</summary>
    public const long DefaultMaxPayloadBytes = 256L * 1024 * 1024;

    /// <summary>Per-layer payload bound: at most this many bytes per pixel of the layer (plus <see cref="PayloadSlackBytes"/>).
    /// A learned codec spends well under 1 byte per pixel; 4 leaves room for any quality.</summary>
    public const int MaxPayloadBytesPerPixel = 4;

    /// <summary>Fixed allowance added to every layer's payload bound, for entropy-coder overhead on tiny layers.</summary>
    public const int PayloadSlackBytes = 64 * 1024;

    /// <summary>The defaults.</summary>
    public static BitstreamLimits Default { get; } = new();

    /// <summary>Limits for the layer plan in the header (default <see cref="LayerPlanLimits.Default"/>).</summary>
    public LayerPlanLimits Plan
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Plan));
    } = LayerPlanLimits.Default;

    /// <summary>
    /// Largest payload of any one layer, in bytes, whatever the layer's size (default
    /// <see cref="DefaultMaxPayloadBytes"/>). Between 1 and <see cref="Array.MaxLength"/>.
    /// </summary>
    public long MaxPayloadBytes
    {
        get;
        init => field = value >= 1 && value <= Array.MaxLength
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxPayloadBytes), value, $"MaxPayloadBytes must be between 1 and {Array.MaxLength}.");
    } = DefaultMaxPayloadBytes;

    /// <summary>
    /// The largest payload accepted for a layer of <paramref name="size"/>:
    /// <c>min(MaxPayloadBytes, pixels * 4 + 64 KiB)</c>.
    /// </summary>
    /// <param name="size">The layer's size.</param>
    public long MaxPayloadBytesFor(LayerSize size) => Math.Min(MaxPayloadBytes, (size.Pixels * MaxPayloadBytesPerPixel) + PayloadSlackBytes);
}
