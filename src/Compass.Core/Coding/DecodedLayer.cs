using Compass.Imaging;

namespace Compass;

/// <summary>
/// One decoded layer: its image and what it cost. Dispose it to release the 8-bit pixels made by <see cref="Pixels"/>
/// (the adapter packages convert the layer to their image types: <c>layer.ToImage()</c>, <c>layer.ToSKBitmap()</c>).
/// </summary>
public sealed class DecodedLayer : IDisposable
{
    private readonly PlanarImage _reconstruction;
    private readonly byte[]? _alpha;
    private PixelBuffer? _pixels;

    internal DecodedLayer(int index, int layerCount, LayerSize size, PlanarImage reconstruction, long accumulatedBytes, TimeSpan elapsed,
        bool isGrayscale = false, byte[]? alpha = null, ImageMetadata? metadata = null)
    {
        IsGrayscale = isGrayscale;
        _alpha = alpha;
        Metadata = metadata ?? ImageMetadata.Empty;
        Index = index;
        LayerCount = layerCount;
        Size = size;
        _reconstruction = reconstruction;
        AccumulatedBytes = accumulatedBytes;
        Elapsed = elapsed;
    }

    /// <summary>Layer index (0 = base layer).</summary>
    public int Index { get; }

    /// <summary>Number of layers in the stream's plan.</summary>
    public int LayerCount { get; }

    /// <summary>Layer size.</summary>
    public LayerSize Size { get; }

    /// <summary>Bytes read from the stream up to and including this layer (header included).</summary>
    public long AccumulatedBytes { get; }

    /// <summary>Bits per pixel of <see cref="AccumulatedBytes"/> over this layer's pixels.</summary>
    public double BitsPerPixel => AccumulatedBytes * 8.0 / Size.Pixels;

    /// <summary>Time spent decoding this layer (prediction, entropy decoding and synthesis).</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>
    /// The layer as 8-bit pixels: <see cref="PixelLayout.Rgb24"/> (each value clamped to [0, 1] and rounded, as
    /// <see cref="PlanarImage.ToPixels"/>), or <see cref="PixelLayout.Rgba32"/> with the layer's alpha when
    /// <see cref="HasAlpha"/>. A grayscale stream gives gray pixels (red = green = blue = the reconstruction's luma, ITU-R
    /// BT.601 weights), never a tint. Made on first use and shared by later calls, so do not modify it.
    /// </summary>
    public PixelBuffer Pixels => _pixels ??= MakePixels();

    /// <summary>True when the stream was coded from a grayscale image (header flag bit 0): write the layer with one channel.</summary>
    public bool IsGrayscale { get; }

    /// <summary>True when the stream carries alpha (header flag bit 2): <see cref="Pixels"/> are RGBA, the alpha exactly as encoded for this layer's size.</summary>
    public bool HasAlpha => _alpha is not null;

    /// <summary>The ICC profile, EXIF and XMP of the stream's metadata chunk (the same for every layer); empty when it has none.</summary>
    public ImageMetadata Metadata { get; }

    private PixelBuffer MakePixels()
    {
        var rgb = IsGrayscale ? AlphaChannel.Luma(_reconstruction) : _reconstruction.ToPixels();
        return _alpha is null ? rgb : AlphaChannel.Attach(rgb, _alpha);
    }

    /// <summary>The unclamped float reconstruction (what the next layer is predicted from).</summary>
    internal PlanarImage Reconstruction => _reconstruction;

    /// <inheritdoc />
    public void Dispose()
    {
        _pixels = null;
    }
}

/// <summary>
/// The layers decoded from one stream. Normally all the layers asked for; fewer when the stream was truncated and
/// <see cref="DecodeOptions.AllowTruncation"/> was set, or when a layer failed and <see cref="DecodeOptions.KeepLayersOnError"/>
/// was set (then <see cref="Error"/> says why and <see cref="IsComplete"/> is false).
/// </summary>
public sealed class DecodeResult : IDisposable
{
    internal DecodeResult(Bitstream.BitstreamHeader header, IReadOnlyList<DecodedLayer> layers, CompassFormatException? error)
    {
        Header = header;
        Layers = layers;
        Error = error;
        Truncation = error is { IsTruncation: true } ? error : null;
    }

    /// <summary>The stream's header (plan, quality, model identity).</summary>
    public Bitstream.BitstreamHeader Header { get; }

    /// <summary>The decoded layers, base layer first.</summary>
    public IReadOnlyList<DecodedLayer> Layers { get; }

    /// <summary>The ICC profile, EXIF and XMP the stream carries (its metadata chunk); empty when it has none or no layer was decoded.</summary>
    public ImageMetadata Metadata => Layers.Count > 0 ? Layers[0].Metadata : ImageMetadata.Empty;

    /// <summary>True when the stream ended inside a layer and only the complete layers before it were decoded.</summary>
    public bool IsTruncated => Truncation is not null;

    /// <summary>The truncation error, when <see cref="IsTruncated"/>.</summary>
    public CompassFormatException? Truncation { get; }

    /// <summary>
    /// The problem that stopped decoding after <see cref="Layers"/> (truncation, a corrupt chunk, a damaged rANS string,
    /// trailing bytes), or null. Its message names the layer and the byte.
    /// </summary>
    public CompassFormatException? Error { get; }

    /// <summary>Whether decoding met no problem: every layer asked for is in <see cref="Layers"/>.</summary>
    public bool IsComplete => Error is null;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
    }
}
