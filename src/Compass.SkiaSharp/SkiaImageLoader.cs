using Compass.Imaging;
using SkiaSharp;

namespace Compass.SkiaSharp;

/// <summary>
/// Loads untrusted image files through Skia's codecs (PNG, JPEG, WebP, GIF, BMP, ICO, WBMP): the header is read
/// first (<see cref="SKCodec.Info"/>, <see cref="SKCodec.FrameCount"/>) and checked against
/// <see cref="ImageInputLimits"/> before any pixel memory is allocated; only the first frame is decoded. Every
/// problem with the bytes surfaces as a <see cref="CompassFormatException"/>.
/// </summary>
public static class SkiaImageLoader
{
    /// <summary>
    /// Reads an image from a stream (from its current position to its end) as an 8-bit bitmap
    /// (<see cref="SKColorType.Rgba8888"/>, unpremultiplied), as stored: the EXIF orientation is not applied and colours are
    /// not converted (<see cref="LoadSource(Stream, ImageInputLimits?)"/> applies the orientation and returns the metadata).
    /// </summary>
    /// <param name="stream">A readable stream holding an encoded image; not disposed.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <returns>The decoded bitmap; the caller disposes it.</returns>
    /// <exception cref="CompassFormatException">The bytes are empty, not an image Skia decodes, corrupt or
    /// truncated, the image has zero size, or it exceeds the limits.</exception>
    public static SKBitmap Load(Stream stream, ImageInputLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stream is not readable.", nameof(stream));
        limits ??= ImageInputLimits.Default;

        return Decode(ReadAll(stream), limits, out _);
    }

    /// <summary>Reads an image file as an 8-bit bitmap; see <see cref="Load(Stream, ImageInputLimits?)"/>.</summary>
    /// <param name="path">Path of the image file.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <returns>The decoded bitmap; the caller disposes it.</returns>
    /// <exception cref="CompassFormatException">The file is not a usable image (the message names the file).</exception>
    public static SKBitmap Load(string path, ImageInputLimits? limits = null)
    {
        return FromFile(path, file => Load(file, limits));
    }

    /// <summary>
    /// Reads a photo for encoding: the pixels turned upright by the file's EXIF orientation, with the ICC profile, EXIF
    /// (orientation reset to 1) and XMP of PNG, JPEG and WebP files, and the file's bits per channel. Colours are not
    /// converted: the profile travels with the pixels (docs/imaging.md, Colour).
    /// </summary>
    /// <param name="stream">A readable stream holding an encoded image; not disposed.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <exception cref="CompassFormatException">See <see cref="Load(Stream, ImageInputLimits?)"/>.</exception>
    public static SourceImage LoadSource(Stream stream, ImageInputLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stream is not readable.", nameof(stream));
        byte[] bytes = ReadAll(stream);
        PixelBuffer stored;
        DecodedInfo decoded;
        using (var bitmap = Decode(bytes, limits ?? ImageInputLimits.Default, out decoded))
            stored = bitmap.ToPixelBuffer();
        int orientation = decoded.Origin is >= SKEncodedOrigin.TopLeft and <= SKEncodedOrigin.LeftBottom ? (int)decoded.Origin : ImageOrientation.Normal;
        var metadata = ImageFileMetadata.Read(bytes);
        if (metadata.Exif is { } exif)
            metadata = new ImageMetadata { IccProfile = metadata.IccProfile, Exif = ImageOrientation.ResetInExif(exif), Xmp = metadata.Xmp };
        // Skia reports 16-bit PNGs as half floats; PNG's header says it outright.
        int bits = ImageFileMetadata.PngBitDepth(bytes) is int png ? Math.Max(8, png)
            : decoded.EncodedColorType is SKColorType.RgbaF16 or SKColorType.Rgba16161616 or SKColorType.RgbaF32 ? 16 : 8;
        return new SourceImage(ImageOrientation.Apply(stored, orientation), metadata, orientation, bits);
    }

    /// <summary>Reads a photo file for encoding; see <see cref="LoadSource(Stream, ImageInputLimits?)"/>.</summary>
    /// <param name="path">Path of the image file.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <exception cref="CompassFormatException">The file is not a usable image (the message names the file).</exception>
    public static SourceImage LoadSource(string path, ImageInputLimits? limits = null)
    {
        return FromFile(path, file => LoadSource(file, limits));
    }

    /// <summary>Reads an image from a stream straight into an upright <see cref="PixelBuffer"/> (<see cref="PixelLayout.Rgba32"/>; the pixels of <see cref="LoadSource(Stream, ImageInputLimits?)"/>).</summary>
    /// <param name="stream">A readable stream holding an encoded image; not disposed.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <exception cref="CompassFormatException">See <see cref="Load(Stream, ImageInputLimits?)"/>.</exception>
    public static PixelBuffer LoadPixels(Stream stream, ImageInputLimits? limits = null) => LoadSource(stream, limits).Pixels;

    /// <summary>Reads an image file straight into an upright <see cref="PixelBuffer"/> (<see cref="PixelLayout.Rgba32"/>; the pixels of <see cref="LoadSource(string, ImageInputLimits?)"/>).</summary>
    /// <param name="path">Path of the image file.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <exception cref="CompassFormatException">See <see cref="Load(string, ImageInputLimits?)"/>.</exception>
    public static PixelBuffer LoadPixels(string path, ImageInputLimits? limits = null) => LoadSource(path, limits).Pixels;

    // Skia reads from its own copy, so the caller's stream is never owned or disposed by a native wrapper.
    // The path overloads: the stream overload's errors, with the file named in front of the message.
    private static T FromFile<T>(string path, Func<Stream, T> read)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = File.OpenRead(path);
        try
        {
            return read(file);
        }
        catch (CompassFormatException e)
        {
            throw new CompassFormatException(e.Kind, $"{path}: {e.Message}", e);
        }
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        byte[] bytes = memory.ToArray();
        if (bytes.Length == 0) throw new CompassFormatException("not an image: the stream is empty");
        return bytes;
    }

    private readonly record struct DecodedInfo(SKEncodedOrigin Origin, SKColorType EncodedColorType);

    // Pixels as stored (no orientation, no colour conversion: the destination has no colour space).
    private static SKBitmap Decode(byte[] bytes, ImageInputLimits limits, out DecodedInfo decoded)
    {

        // The codec owns the stream it is given.
        using var codec = SKCodec.Create(new SKMemoryStream(bytes), out SKCodecResult opened);
        if (codec is null)
        {
            throw new CompassFormatException(opened switch
            {
                SKCodecResult.IncompleteInput => "not a valid image (truncated before the end of its header)",
                SKCodecResult.InvalidInput => "not a valid image (its header is corrupt)",
                _ => "not an image: the format is not recognised (expected PNG, JPEG, WebP, GIF, BMP, ICO or WBMP)",
            });
        }
        SKImageInfo header = codec.Info;
        decoded = new DecodedInfo(codec.EncodedOrigin, header.ColorType);
        limits.Check(header.Width, header.Height, Math.Max(1, codec.FrameCount));

        var info = new SKImageInfo(header.Width, header.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap();
        try
        {
            if (!bitmap.TryAllocPixels(info))
                throw new CompassFormatException($"image too large to decode: no memory for {header.Width}x{header.Height} pixels");
            // Frame 0 only (the default options); an animation's other frames are never decoded.
            SKCodecResult result = codec.GetPixels(info, bitmap.GetPixels());
            if (result != SKCodecResult.Success)
                throw new CompassFormatException(result == SKCodecResult.IncompleteInput
                    ? "not a valid image (truncated)"
                    : $"not a valid image (the decoder failed: {result})");
            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }
}
