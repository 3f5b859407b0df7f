using Compass.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.ImageSharp;

/// <summary>
/// Loads untrusted image files (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM: whatever ImageSharp 2.1 decodes) as
/// 8-bit RGB. The header is read first, without decoding pixels, and checked against <see cref="ImageInputLimits"/>,
/// so an image that claims a huge size is refused before any pixel memory is allocated; only the first frame
/// of an animated GIF or multi-page TIFF is ever decoded. Every problem with the bytes surfaces as a
/// <see cref="CompassFormatException"/>.
/// </summary>
public static class ImageSharpLoader
{
    // Decoders that stop after the first frame: the codec keeps one still image, and decoding thousands of
    // GIF frames or TIFF pages that are then thrown away is the memory and time an attacker would aim for.
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

    private static readonly Configuration FirstFrameConfiguration = CreateConfiguration();

    /// <summary>
    /// Reads an image from a stream as 8-bit RGB (alpha dropped, gray replicated, first frame of an
    /// animation). The stream is read from its current position; a non-seekable stream is buffered.
    /// </summary>
    /// <param name="stream">A readable stream holding an encoded image.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="CompassFormatException">The bytes are empty, not an image, corrupt or truncated,
    /// the image has zero size, or it exceeds the limits.</exception>
    public static Image<Rgb24> Load(Stream stream, ImageInputLimits? limits = null) => Load<Rgb24>(stream, limits, out _);

    private static Image<TPixel> Load<TPixel>(Stream stream, ImageInputLimits? limits, out int sourceBitsPerPixel)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stream is not readable.", nameof(stream));
        limits ??= ImageInputLimits.Default;

        // Identify and decode both read from the start, so the stream must seek.
        using var buffered = stream.CanSeek ? null : CopyToMemory(stream);
        Stream input = buffered ?? stream;
        long origin = input.Position;
        if (input.Length - origin <= 0) throw new CompassFormatException("not an image: the stream is empty");

        Configuration configuration = FirstFrameConfiguration;
        IImageInfo? info = Guard(() => Image.Identify(configuration, input, out IImageFormat _));
        if (info is null)
            throw new CompassFormatException("not an image: the format is not recognised (expected PNG, JPEG, BMP, GIF, TGA, TIFF, WebP or PBM)");
        // ImageSharp 2.1's Identify does not count frames; the decoders above read only the first one.
        limits.Check(info.Width, info.Height, frames: 1);
        sourceBitsPerPixel = info.PixelType?.BitsPerPixel ?? 24;

        input.Position = origin;
        Image<TPixel> image = Guard(() => Image.Load<TPixel>(configuration, input));
        if (image.Width != info.Width || image.Height != info.Height)
        {
            // A header that disagrees with the decoded frame would bypass the size check above.
            var message = $"not a valid image: header says {info.Width}x{info.Height} but the pixels are {image.Width}x{image.Height}";
            image.Dispose();
            throw new CompassFormatException(message);
        }
        // Keep only the first frame (formats without a first-frame mode may still bring more).
        while (image.Frames.Count > 1) image.Frames.RemoveFrame(image.Frames.Count - 1);
        return image;
    }

    /// <summary>Reads an image file as 8-bit RGB; see <see cref="Load(Stream, ImageInputLimits?)"/>.</summary>
    /// <param name="path">Path of the image file.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="CompassFormatException">The file is not a usable image (the message names the file).</exception>
    public static Image<Rgb24> Load(string path, ImageInputLimits? limits = null)
    {
        return FromFile(path, file => Load(file, limits));
    }

    /// <summary>
    /// Reads a photo for encoding: 8-bit RGBA pixels (alpha kept) turned upright by the EXIF orientation, with the ICC
    /// profile, EXIF (orientation reset to 1) and XMP the file holds, and its bits per channel. Colours are not converted.
    /// </summary>
    /// <param name="stream">A readable stream holding an encoded image.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <exception cref="CompassFormatException">See <see cref="Load(Stream, ImageInputLimits?)"/>.</exception>
    public static SourceImage LoadSource(Stream stream, ImageInputLimits? limits = null)
    {
        using var image = Load<Rgba32>(stream, limits, out int sourceBitsPerPixel);
        var source = image.Metadata;
        int orientation = ImageOrientation.Normal;
        byte[]? exif = null;
        if (source.ExifProfile?.ToByteArray() is { Length: > 0 } exifBytes)
        {
            // ImageSharp writes the JPEG APP1 prefix in front of the TIFF structure; Compass carries the structure alone.
            exif = exifBytes.AsSpan().StartsWith("Exif\0\0"u8) ? exifBytes[6..] : exifBytes;
            orientation = ImageOrientation.ReadFromExif(exif);
            exif = ImageOrientation.ResetInExif(exif);
        }
        var metadata = new Imaging.ImageMetadata
        {
            IccProfile = source.IccProfile?.ToByteArray() is { Length: > 0 } icc ? icc : null,
            Exif = exif,
            Xmp = source.XmpProfile?.ToByteArray() is { Length: > 0 } xmp ? xmp : null,
        };
        int bits = sourceBitsPerPixel > 32 || source.GetPngMetadata().BitDepth == PngBitDepth.Bit16 ? 16 : 8;
        return new SourceImage(ImageOrientation.Apply(image.ToPixelBuffer(), orientation), metadata.IsEmpty ? null : metadata, orientation, bits);
    }

    /// <summary>Reads a photo file for encoding; see <see cref="LoadSource(Stream, ImageInputLimits?)"/>.</summary>
    /// <param name="path">Path of the image file.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <exception cref="CompassFormatException">The file is not a usable image (the message names the file).</exception>
    public static SourceImage LoadSource(string path, ImageInputLimits? limits = null)
    {
        return FromFile(path, file => LoadSource(file, limits));
    }

    /// <summary>Reads an image from a stream straight into a <see cref="PixelBuffer"/> (<see cref="PixelLayout.Rgb24"/>).</summary>
    /// <param name="stream">A readable stream holding an encoded image.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <exception cref="CompassFormatException">See <see cref="Load(Stream, ImageInputLimits?)"/>.</exception>
    public static PixelBuffer LoadPixels(Stream stream, ImageInputLimits? limits = null)
    {
        using var image = Load(stream, limits);
        return image.ToPixelBuffer();
    }

    /// <summary>Reads an image file straight into a <see cref="PixelBuffer"/> (<see cref="PixelLayout.Rgb24"/>).</summary>
    /// <param name="path">Path of the image file.</param>
    /// <param name="limits">Pixel and frame limits; null for <see cref="ImageInputLimits.Default"/>.</param>
    /// <exception cref="CompassFormatException">See <see cref="Load(string, ImageInputLimits?)"/>.</exception>
    public static PixelBuffer LoadPixels(string path, ImageInputLimits? limits = null)
    {
        using var image = Load(path, limits);
        return image.ToPixelBuffer();
    }

    private static Configuration CreateConfiguration()
    {
        var configuration = Configuration.Default.Clone();
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }

    private static MemoryStream CopyToMemory(Stream stream)
    {
        var memory = new MemoryStream();
        stream.CopyTo(memory);
        memory.Position = 0;
        return memory;
    }

    // Maps ImageSharp's decoder exceptions (and the raw ones a truncated header can leak) to ours.
    private static T Guard<T>(Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (UnknownImageFormatException e)
        {
            throw new CompassFormatException($"not an image: {e.Message}", e);
        }
        catch (InvalidImageContentException e)
        {
            throw new CompassFormatException($"not a valid image (corrupt or truncated): {e.Message}", e);
        }
        catch (ImageFormatException e)
        {
            throw new CompassFormatException($"not a valid image: {e.Message}", e);
        }
        catch (InvalidMemoryOperationException e)
        {
            throw new CompassFormatException($"image too large to decode: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new CompassFormatException($"not a valid image (truncated): {e.Message}", e);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException or IOException or CompassFormatException))
        {
            // ImageSharp 2.1 decoders let some malformed input escape as other exceptions (a truncated
            // pHYs chunk gives ArgumentOutOfRangeException, corrupt BMP palettes DivideByZeroException,
            // corrupt JPEG markers NullReferenceException). The stream and configuration are ours and
            // valid, so anything else thrown while decoding describes the bytes. I/O errors of the
            // underlying stream are not format errors and propagate.
            throw new CompassFormatException($"not a valid image (the decoder failed: {e.GetType().Name}: {e.Message})", e);
        }
    }
}
