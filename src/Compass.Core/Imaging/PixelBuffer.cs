namespace Compass.Imaging;

/// <summary>
/// An 8-bit image in interleaved layout (<see cref="PixelLayout"/>), rows top to bottom with no padding: the
/// pixels Compass encodes and decodes. It has no file format and no imaging-library type in it; the adapter
/// packages (Compass.ImageSharp, Compass.SkiaSharp) convert from and to their image types.
/// </summary>
/// <remarks>
/// Alpha (in the 4-byte layouts) is coded when some pixel is not opaque, losslessly per layer, unless
/// <see cref="EncodeOptions.Alpha"/> drops or flattens it; the layers of such a stream decode as
/// <see cref="PixelLayout.Rgba32"/>. A buffer is not thread-safe for writes; it is safe to read from several threads.
/// </remarks>
public sealed class PixelBuffer
{
    private readonly byte[] _data;

    /// <summary>Creates a buffer of black (and, in the 4-byte layouts, transparent) pixels.</summary>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    /// <param name="layout">Channel layout.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, the image does not fit in one array, or the layout is unknown.</exception>
    public PixelBuffer(int width, int height, PixelLayout layout = PixelLayout.Rgb24)
        : this(width, height, layout, new byte[CheckedLength(width, height, layout)])
    {
    }

    /// <summary>Wraps existing pixel bytes (no copy): the buffer and the array share memory.</summary>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    /// <param name="layout">Channel layout of <paramref name="data"/>.</param>
    /// <param name="data">Exactly <paramref name="width"/> * <paramref name="height"/> * bytes-per-pixel bytes, row by row.</param>
    /// <exception cref="ArgumentException"><paramref name="data"/> has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, the image does not fit in one array, or the layout is unknown.</exception>
    public PixelBuffer(int width, int height, PixelLayout layout, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int length = CheckedLength(width, height, layout);
        if (data.Length != length)
            throw new ArgumentException(
                $"A {width}x{height} {layout} image has {length} bytes ({BytesPerPixelOf(layout)} per pixel), but {data.Length} were given.", nameof(data));
        Width = width;
        Height = height;
        Layout = layout;
        _data = data;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Channel layout.</summary>
    public PixelLayout Layout { get; }

    /// <summary>Bytes per pixel: 3 for <see cref="PixelLayout.Rgb24"/>, 4 otherwise.</summary>
    public int BytesPerPixel => BytesPerPixelOf(Layout);

    /// <summary>Bytes per row (<see cref="Width"/> * <see cref="BytesPerPixel"/>; rows have no padding).</summary>
    public int RowBytes => Width * BytesPerPixel;

    /// <summary>All pixel bytes, row by row (<see cref="Height"/> * <see cref="RowBytes"/>).</summary>
    public Span<byte> Pixels => _data;

    /// <summary>One row of pixel bytes.</summary>
    /// <param name="y">Row index, 0 at the top.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="y"/> is outside the image.</exception>
    public Span<byte> GetRow(int y)
    {
        if ((uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(y), y, $"Row {y} is outside a {Width}x{Height} image.");
        return _data.AsSpan(y * RowBytes, RowBytes);
    }

    /// <summary>The bytes per pixel of a layout.</summary>
    /// <param name="layout">A layout.</param>
    /// <exception cref="ArgumentOutOfRangeException">The layout is unknown.</exception>
    public static int BytesPerPixelOf(PixelLayout layout) => layout switch
    {
        PixelLayout.Rgb24 => 3,
        PixelLayout.Rgba32 or PixelLayout.Bgra32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown pixel layout."),
    };

    /// <summary>
    /// The image in <paramref name="layout"/>: a copy when the layouts differ (alpha set to 255 when added, dropped
    /// when removed), this buffer itself when they are the same.
    /// </summary>
    /// <param name="layout">The wanted layout.</param>
    public PixelBuffer ConvertTo(PixelLayout layout)
    {
        int dstBpp = BytesPerPixelOf(layout);
        if (layout == Layout) return this;
        var result = new PixelBuffer(Width, Height, layout);
        (int r, int g, int b) = ChannelOffsets(Layout);
        (int dr, int dg, int db) = ChannelOffsets(layout);
        ReadOnlySpan<byte> src = _data;
        Span<byte> dst = result._data;
        int srcBpp = BytesPerPixel;
        for (int s = 0, d = 0; s < src.Length; s += srcBpp, d += dstBpp)
        {
            dst[d + dr] = src[s + r];
            dst[d + dg] = src[s + g];
            dst[d + db] = src[s + b];
            if (dstBpp == 4) dst[d + 3] = srcBpp == 4 ? src[s + 3] : (byte)255;
        }
        return result;
    }

    /// <summary>True when the layout has alpha and some pixel's alpha is below 255.</summary>
    public bool HasTransparency()
    {
        if (BytesPerPixel != 4) return false;
        ReadOnlySpan<byte> data = _data;
        for (int i = 3; i < data.Length; i += 4)
            if (data[i] != 255) return true;
        return false;
    }

    /// <summary>True when every pixel is neutral (red = green = blue): a grayscale image, whatever its layout.</summary>
    public bool IsGrayscale()
    {
        (int r, int g, int b) = ChannelOffsets(Layout);
        ReadOnlySpan<byte> data = _data;
        for (int i = 0; i < data.Length; i += BytesPerPixel)
            if (data[i + r] != data[i + g] || data[i + g] != data[i + b]) return false;
        return true;
    }

    /// <summary>A deep copy.</summary>
    public PixelBuffer Clone() => new(Width, Height, Layout, (byte[])_data.Clone());

    /// <summary>Byte offsets of red, green and blue inside one pixel of <paramref name="layout"/>.</summary>
    internal static (int R, int G, int B) ChannelOffsets(PixelLayout layout) => layout switch
    {
        PixelLayout.Rgb24 or PixelLayout.Rgba32 => (0, 1, 2),
        PixelLayout.Bgra32 => (2, 1, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown pixel layout."),
    };

    private static int CheckedLength(int width, int height, PixelLayout layout)
    {
        int bpp = BytesPerPixelOf(layout);
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Width must be at least 1.");
        if (height < 1) throw new ArgumentOutOfRangeException(nameof(height), height, "Height must be at least 1.");
        long length = (long)bpp * width * height;
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(width), $"A {width}x{height} {layout} image does not fit in one array.");
        return (int)length;
    }
}
