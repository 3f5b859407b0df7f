using System.Runtime.CompilerServices;

namespace Compass.Imaging;

/// <summary>
/// A 3-channel (R, G, B) float32 image in planar CHW layout: all red values row by row, then all
/// green, then all blue. This is the tensor layout the networks read and write.
/// </summary>
/// <remarks>
/// Values are nominally in [0, 1] (8-bit level / 255) but are never clamped here: enhancement-layer
/// reconstructions are unclamped and feed the next layer as they are. Clamping and quantising happen
/// only in <see cref="ToPixels"/>, for output images and PSNR.
/// </remarks>
public sealed class PlanarImage
{
    /// <summary>Number of channels (always 3: R, G, B).</summary>
    public const int Channels = 3;

    // Exact float32 values of k / 255 for every 8-bit level, the same division torchvision's ToTensor does.
    private static readonly float[] LevelToFloat = CreateLevelTable();

    /// <summary>Creates a zero-filled image.</summary>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    public PlanarImage(int width, int height)
        : this(width, height, new float[CheckedLength(width, height)])
    {
    }

    /// <summary>Wraps an existing CHW buffer (no copy).</summary>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    /// <param name="data">3 * <paramref name="height"/> * <paramref name="width"/> values in CHW order.</param>
    public PlanarImage(int width, int height, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        long length = CheckedLength(width, height);
        if (data.Length != length)
            throw new ArgumentException($"Expected {length} values (3x{height}x{width}), got {data.Length}.", nameof(data));
        Width = width;
        Height = height;
        Data = data;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Number of pixels in one channel plane (<see cref="Width"/> * <see cref="Height"/>).</summary>
    public int PlaneLength => Width * Height;

    /// <summary>The values in CHW order (3 * <see cref="Height"/> * <see cref="Width"/>). Shared, not copied.</summary>
    public float[] Data { get; }

    /// <summary>The value of channel <paramref name="c"/> at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public float this[int c, int y, int x]
    {
        get => Data[Index(c, y, x)];
        set => Data[Index(c, y, x)] = value;
    }

    /// <summary>One channel plane (row-major <see cref="Height"/> x <see cref="Width"/>).</summary>
    /// <param name="channel">0 = R, 1 = G, 2 = B.</param>
    public Span<float> GetPlane(int channel)
    {
        if ((uint)channel >= Channels) throw new ArgumentOutOfRangeException(nameof(channel));
        return Data.AsSpan(channel * PlaneLength, PlaneLength);
    }

    /// <summary>One row of one channel.</summary>
    /// <param name="channel">0 = R, 1 = G, 2 = B.</param>
    /// <param name="y">Row index.</param>
    public Span<float> GetRow(int channel, int y)
    {
        if ((uint)channel >= Channels) throw new ArgumentOutOfRangeException(nameof(channel));
        if ((uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(y));
        return Data.AsSpan(channel * PlaneLength + y * Width, Width);
    }

    /// <summary>A deep copy.</summary>
    public PlanarImage Clone() => new(Width, Height, (float[])Data.Clone());

    /// <summary>
    /// Converts 8-bit pixels: each red, green and blue value becomes level / 255 (as torchvision's
    /// <c>ToTensor</c>); alpha is dropped, not composited.
    /// </summary>
    /// <param name="pixels">The source pixels (not modified), any layout.</param>
    public static PlanarImage FromPixels(PixelBuffer pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var result = new PlanarImage(pixels.Width, pixels.Height);
        float[] data = result.Data;
        int plane = result.PlaneLength, width = result.Width;
        (int r, int g, int b) = PixelBuffer.ChannelOffsets(pixels.Layout);
        int bpp = pixels.BytesPerPixel;
        for (int y = 0; y < pixels.Height; y++)
        {
            ToPlanarRow(pixels.GetRow(y), bpp, r, g, b, data.AsSpan(y * width, width),
                data.AsSpan(plane + y * width, width), data.AsSpan(2 * plane + y * width, width));
        }
        return result;
    }

    /// <summary>
    /// Converts to 8-bit pixels: each value is clamped to [0, 1] (NaN becomes 0), multiplied by 255
    /// and rounded to the nearest level, halves away from zero.
    /// </summary>
    /// <remarks>
    /// This is the 8-bit image that <see cref="ImageMetrics.Psnr(PlanarImage, PlanarImage)"/> measures.
    /// (The official COMPASS code truncates when it saves PNGs and measures PSNR on unquantised floats;
    /// rounding is the unbiased choice and <see cref="ImageMetrics.PsnrUnquantized"/> gives the float number.)
    /// </remarks>
    /// <param name="layout">Layout of the result; alpha, where it has one, is 255.</param>
    public PixelBuffer ToPixels(PixelLayout layout = PixelLayout.Rgb24)
    {
        var pixels = new PixelBuffer(Width, Height, layout);
        float[] data = Data;
        int plane = PlaneLength, width = Width;
        (int r, int g, int b) = PixelBuffer.ChannelOffsets(layout);
        int bpp = pixels.BytesPerPixel;
        for (int y = 0; y < Height; y++)
        {
            FromPlanarRow(data.AsSpan(y * width, width), data.AsSpan(plane + y * width, width),
                data.AsSpan(2 * plane + y * width, width), pixels.GetRow(y), bpp, r, g, b);
        }
        return pixels;
    }

    /// <summary>
    /// The 8-bit level of a value: clamp to [0, 1] (NaN gives 0), times 255, round half away from zero.
    /// </summary>
    /// <param name="value">A value nominally in [0, 1].</param>
    public static byte Quantize(float value)
    {
        // Written so that NaN fails the first comparison and maps to 0.
        if (!(value > 0f)) return 0;
        if (value >= 1f) return 255;
        return (byte)MathF.Round(value * 255f, MidpointRounding.AwayFromZero);
    }

    /// <summary>The float value of an 8-bit level: exactly <c>(float)level / 255f</c>.</summary>
    /// <param name="level">An 8-bit level.</param>
    public static float FromLevel(byte level) => LevelToFloat[level];

    // Row converters are compiled optimised at once: a one-shot conversion would otherwise run unoptimised.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ToPlanarRow(ReadOnlySpan<byte> row, int bpp, int ro, int go, int bo, Span<float> r, Span<float> g, Span<float> b)
    {
        float[] table = LevelToFloat;
        for (int x = 0, p = 0; x < r.Length; x++, p += bpp)
        {
            r[x] = table[row[p + ro]];
            g[x] = table[row[p + go]];
            b[x] = table[row[p + bo]];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FromPlanarRow(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<byte> row, int bpp, int ro, int go, int bo)
    {
        for (int x = 0, p = 0; x < r.Length; x++, p += bpp)
        {
            row[p + ro] = Quantize(r[x]);
            row[p + go] = Quantize(g[x]);
            row[p + bo] = Quantize(b[x]);
            if (bpp == 4) row[p + 3] = 255;
        }
    }

    private int Index(int c, int y, int x)
    {
        if ((uint)c >= Channels || (uint)y >= (uint)Height || (uint)x >= (uint)Width)
            throw new ArgumentOutOfRangeException(null, $"({c}, {y}, {x}) is outside 3x{Height}x{Width}.");
        return c * PlaneLength + y * Width + x;
    }

    private static int CheckedLength(int width, int height)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Width must be at least 1.");
        if (height < 1) throw new ArgumentOutOfRangeException(nameof(height), height, "Height must be at least 1.");
        long length = (long)Channels * width * height;
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(width), $"A 3x{height}x{width} image does not fit in one array.");
        return (int)length;
    }

    private static float[] CreateLevelTable()
    {
        var table = new float[256];
        for (int i = 0; i < table.Length; i++) table[i] = i / 255f;
        return table;
    }
}
