using Compass.Imaging;

namespace Compass;

/// <summary>Options of one <see cref="ScalableEncoder"/> call.</summary>
public sealed record EncodeOptions
{
    /// <summary>
    /// The quality of every layer (higher = more bits; a variable-rate model takes any multiple of 1/256 in its range,
    /// e.g. 2.5); null uses the model's <see cref="CompassModel.DefaultQuality"/>. Set at most one of this,
    /// <see cref="LayerQualities"/>, <see cref="TargetBytes"/>, <see cref="TargetBitsPerPixel"/> and <see cref="LayerByteBudgets"/>.
    /// </summary>
    public Quality? Quality { get; init; }

    /// <summary>
    /// One quality per layer of the plan, base layer first (a single-rate model set needs them all equal: each of its
    /// levels is a separate set of networks).
    /// </summary>
    public IReadOnlyList<Quality>? LayerQualities { get; init; }

    /// <summary>
    /// Rate control: the largest stream (bytes, header included). The encoder searches the quality (one for every
    /// layer) with real entropy coding: the stream never exceeds the target and, where the model's range allows, lands
    /// within 3% under it. When even the lowest quality is over the target the encode throws
    /// <see cref="CompassFormatException"/> (<see cref="CompassFormatErrorKind.LimitExceeded"/>) naming the smallest
    /// achievable size. <see cref="EncodeResult.TotalBytes"/> and <see cref="EncodeResult.LayerRates"/> report the outcome.
    /// </summary>
    public long? TargetBytes { get; init; }

    /// <summary>Rate control as <see cref="TargetBytes"/>, the target given as bits per pixel of the last layer (total bits / its pixels).</summary>
    public double? TargetBitsPerPixel { get; init; }

    /// <summary>
    /// Rate control per layer: for each layer, the most bytes a decoder reads to decode up to it (header and chunks 0..k,
    /// as <see cref="EncodedLayer.AccumulatedBytes"/>), so non-decreasing. A variable-rate model searches each layer's
    /// quality in turn (a layer's bytes depend only on the layers before it); a single-rate model set picks its highest
    /// level that meets every budget. Same guarantees and errors as <see cref="TargetBytes"/>.
    /// </summary>
    public IReadOnlyList<long>? LayerByteBudgets { get; init; }

    /// <summary>
    /// Largest input image (width x height) that the adapter packages' stream overloads
    /// (<c>EncodeAsync(Stream imageStream, ...)</c>) accept; checked from the file's header before the pixels are decoded.
    /// </summary>
    public long MaxInputPixels { get; init; } = ImageInputLimits.DefaultMaxPixels;

    /// <summary>
    /// Largest working memory (bytes) the call may need, by an upper estimate made from the sizes before any network runs
    /// (<see cref="ScalableEncoder.EstimateMemory"/>); a call over it throws <see cref="CompassFormatException"/> at once.
    /// Null (the default) means the memory available to this process (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>:
    /// the machine's or the container's limit), so a call that cannot fit fails with a message instead of being killed.
    /// </summary>
    public long? MaxMemoryBytes { get; init; }

    /// <summary>Keep each layer's reconstruction in the result (tests and evaluation compare them with the decoder's).</summary>
    internal bool KeepReconstructions { get; init; }

    /// <summary>
    /// What to do with the alpha of an image with transparent pixels (<see cref="PixelLayout.Rgba32"/> or
    /// <see cref="PixelLayout.Bgra32"/>): kept by default. Images without transparency are unaffected.
    /// </summary>
    public AlphaMode Alpha { get; init; } = AlphaMode.Keep;

    /// <summary>
    /// ICC profile, EXIF and XMP to carry in the stream's metadata chunk and give back at decode
    /// (<see cref="SourceImage.Metadata"/> of a loaded photo); null or empty writes no chunk.
    /// </summary>
    public ImageMetadata? Metadata { get; init; }

    /// <summary>Receives the tiles done inside each large layer (a layer's own progress comes through the encode call's <see cref="LayerProgress"/>).</summary>
    public IProgress<TileProgress>? TileProgress { get; init; }
}

/// <summary>Options of one <see cref="ScalableDecoder"/> call.</summary>
public sealed record DecodeOptions
{
    /// <summary>Decode at most this many layers (1 = base layer only); null decodes every layer.</summary>
    public int? MaxLayers { get; init; }

    /// <summary>
    /// When true, a stream that ends inside a layer yields the complete layers before the cut (and logs a
    /// warning) instead of throwing; <see cref="DecodeResult.IsTruncated"/> says it happened.
    /// </summary>
    public bool AllowTruncation { get; init; }

    /// <summary>
    /// When true, <see cref="ScalableDecoder.Decode"/> and <see cref="ScalableDecoder.DecodeAsync"/> do not throw for a
    /// problem found after the header (a corrupt chunk, a damaged rANS string, truncation, trailing bytes): they return
    /// the layers decoded before it, with the problem in <see cref="DecodeResult.Error"/>. A problem in the header, or a
    /// stream made by another model, still throws: nothing can be decoded then.
    /// </summary>
    /// <remarks>Off by default, so a caller that does not check <see cref="DecodeResult.IsComplete"/> never mistakes
    /// part of an image for all of it. <see cref="ScalableDecoder.DecodeProgressivelyAsync"/> ignores it: it has
    /// already yielded every layer before the problem when it throws.</remarks>
    public bool KeepLayersOnError { get; init; }

    /// <summary>
    /// Largest working memory (bytes) the call may need, by an upper estimate made from the stream's header before any
    /// layer is decoded (<see cref="ScalableDecoder.EstimateMemory"/>); over it the call throws <see cref="CompassFormatException"/>.
    /// Null (the default) means the memory available to this process (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>).
    /// </summary>
    public long? MaxMemoryBytes { get; init; }

    /// <summary>Limits enforced on the stream before any large allocation.</summary>
    public Bitstream.BitstreamLimits Limits { get; init; } = Bitstream.BitstreamLimits.Default;

    /// <summary>Receives the tiles done inside each large layer.</summary>
    public IProgress<TileProgress>? TileProgress { get; init; }
}

/// <summary>Progress of a long encode or decode: reported after each layer.</summary>
/// <param name="LayerIndex">The layer just finished (0 = base layer).</param>
/// <param name="LayerCount">Number of layers being processed.</param>
/// <param name="Size">Size of that layer.</param>
/// <param name="Elapsed">Time spent on that layer.</param>
public readonly record struct LayerProgress(int LayerIndex, int LayerCount, LayerSize Size, TimeSpan Elapsed);
