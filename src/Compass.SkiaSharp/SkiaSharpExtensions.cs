using System.Runtime.InteropServices;
using Compass.Imaging;
using SkiaSharp;

namespace Compass.SkiaSharp;

/// <summary>
/// SkiaSharp images in and out of Compass: <c>encoder.Encode(bitmap, plan)</c>, <c>layer.ToSKBitmap()</c>, conversions
/// between <see cref="SKBitmap"/> / <see cref="SKImage"/> and Compass's <see cref="PixelBuffer"/>.
/// </summary>
public static class SkiaSharpExtensions
{
    /// <summary>
    /// Copies a bitmap into a <see cref="PixelBuffer"/>: <see cref="SKColorType.Rgba8888"/> and
    /// <see cref="SKColorType.Bgra8888"/> bitmaps (opaque or unpremultiplied) keep their layout, anything else is
    /// converted to unpremultiplied RGBA first. The encoder keeps alpha where some pixel is not opaque (<see cref="EncodeOptions.Alpha"/>).
    /// </summary>
    /// <param name="bitmap">The source bitmap (not modified).</param>
    /// <exception cref="ArgumentException">The bitmap is empty or has no pixels.</exception>
    public static PixelBuffer ToPixelBuffer(this SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        if (bitmap.Width < 1 || bitmap.Height < 1 || bitmap.GetPixels() == IntPtr.Zero)
            throw new ArgumentException($"The bitmap is empty ({bitmap.Width}x{bitmap.Height}) or has no pixels.", nameof(bitmap));
        bool straight = bitmap.AlphaType is SKAlphaType.Opaque or SKAlphaType.Unpremul;
        if (straight && bitmap.ColorType == SKColorType.Rgba8888) return Copy(bitmap, PixelLayout.Rgba32);
        if (straight && bitmap.ColorType == SKColorType.Bgra8888) return Copy(bitmap, PixelLayout.Bgra32);

        var info = new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var converted = new SKBitmap(info);
        using (var source = bitmap.PeekPixels())
        using (var target = converted.PeekPixels())
        {
            if (source is null || !source.ReadPixels(target))
                throw new ArgumentException($"The bitmap's pixels ({bitmap.ColorType}, {bitmap.AlphaType}) cannot be converted to RGBA.", nameof(bitmap));
        }
        return Copy(converted, PixelLayout.Rgba32);
    }

    /// <summary>Copies an image's pixels (read back from the GPU if it lives there) into a <see cref="PixelBuffer"/>.</summary>
    /// <param name="image">The source image (not modified).</param>
    /// <exception cref="ArgumentException">The pixels cannot be read.</exception>
    public static PixelBuffer ToPixelBuffer(this SKImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var bitmap = SKBitmap.FromImage(image)
            ?? throw new ArgumentException("The image's pixels cannot be read.", nameof(image));
        return bitmap.ToPixelBuffer();
    }

    /// <summary>Copies 8-bit pixels into a new <see cref="SKColorType.Rgba8888"/> bitmap: opaque, or unpremultiplied with the buffer's alpha when it has transparency.</summary>
    /// <param name="pixels">The source pixels (not modified).</param>
    /// <returns>A new bitmap; the caller disposes it.</returns>
    public static SKBitmap ToSKBitmap(this PixelBuffer pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        PixelBuffer rgba = pixels.ConvertTo(PixelLayout.Rgba32);
        bool alpha = pixels.HasTransparency();
        var bitmap = new SKBitmap(new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Rgba8888, alpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque));
        IntPtr target = bitmap.GetPixels();
        int rowBytes = bitmap.RowBytes;
        byte[] row = new byte[rgba.RowBytes];
        for (int y = 0; y < rgba.Height; y++)
        {
            rgba.GetRow(y).CopyTo(row);
            // An opaque bitmap must hold 255 in every alpha byte, whatever the source buffer held there.
            if (!alpha)
                for (int i = 3; i < row.Length; i += 4) row[i] = 255;
            Marshal.Copy(row, 0, target + y * rowBytes, row.Length);
        }
        bitmap.NotifyPixelsChanged();
        return bitmap;
    }

    /// <summary>A decoded layer as a new opaque 8-bit bitmap (the layer's <see cref="DecodedLayer.Pixels"/>).</summary>
    /// <param name="layer">A decoded layer.</param>
    /// <returns>A new bitmap on every call; the caller disposes it.</returns>
    public static SKBitmap ToSKBitmap(this DecodedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer.Pixels.ToSKBitmap();
    }

    /// <summary>A decoded layer as a new immutable raster <see cref="SKImage"/>.</summary>
    /// <param name="layer">A decoded layer.</param>
    /// <returns>A new image on every call; the caller disposes it.</returns>
    public static SKImage ToSKImage(this DecodedLayer layer)
    {
        using var bitmap = layer.ToSKBitmap();
        return SKImage.FromBitmap(bitmap);
    }

    /// <summary>Writes a decoded layer to a file in an image format Skia encodes (PNG by default).</summary>
    /// <param name="layer">A decoded layer.</param>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="format">PNG, JPEG or WebP.</param>
    /// <param name="quality">Encoder quality 0-100 for lossy formats (ignored by PNG).</param>
    /// <exception cref="InvalidOperationException">Skia could not encode the image in <paramref name="format"/>.</exception>
    public static void SaveAs(this DecodedLayer layer, string path, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 100)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var bitmap = layer.ToSKBitmap();
        using var data = bitmap.Encode(format, quality)
            ?? throw new InvalidOperationException($"Skia cannot encode {format} here.");
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>Encodes a bitmap and returns the stream's bytes; see <see cref="ScalableEncoder.Encode(PixelBuffer, LayerPlan, EncodeOptions?, CancellationToken)"/>.</summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="bitmap">The input bitmap (alpha is kept unless <see cref="EncodeOptions.Alpha"/> says otherwise); its own size may be the last layer.</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the bitmap.</param>
    /// <param name="options">Quality and limits; null for defaults.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    public static byte[] Encode(this ScalableEncoder encoder, SKBitmap bitmap, LayerPlan plan, EncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return encoder.Encode(bitmap.ToPixelBuffer(), plan, options, cancellationToken);
    }

    /// <summary>Encodes an image and returns the stream's bytes.</summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="image">The input image (alpha is kept unless <see cref="EncodeOptions.Alpha"/> says otherwise).</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the image.</param>
    /// <param name="options">Quality and limits; null for defaults.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    public static byte[] Encode(this ScalableEncoder encoder, SKImage image, LayerPlan plan, EncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return encoder.Encode(image.ToPixelBuffer(), plan, options, cancellationToken);
    }

    /// <summary>Encodes a bitmap into <paramref name="output"/>, writing each layer as soon as it is coded.</summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="bitmap">The input bitmap (alpha is kept unless <see cref="EncodeOptions.Alpha"/> says otherwise).</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the bitmap.</param>
    /// <param name="output">Receives the stream; written sequentially, never sought.</param>
    /// <param name="options">Quality and limits; null for defaults.</param>
    /// <param name="progress">Optional per-layer progress.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    /// <returns>Per-layer sizes and costs.</returns>
    public static Task<EncodeResult> EncodeAsync(this ScalableEncoder encoder, SKBitmap bitmap, LayerPlan plan, Stream output,
        EncodeOptions? options = null, IProgress<LayerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return encoder.EncodeAsync(bitmap.ToPixelBuffer(), plan, output, options, progress, cancellationToken);
    }

    private static PixelBuffer Copy(SKBitmap bitmap, PixelLayout layout)
    {
        var pixels = new PixelBuffer(bitmap.Width, bitmap.Height, layout);
        ReadOnlySpan<byte> source = bitmap.GetPixelSpan();
        int rowBytes = bitmap.RowBytes, length = pixels.RowBytes;
        for (int y = 0; y < pixels.Height; y++)
            source.Slice(y * rowBytes, length).CopyTo(pixels.GetRow(y));
        return pixels;
    }
}
