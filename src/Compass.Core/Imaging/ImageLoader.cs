using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Imaging;

/// <summary>
/// Loads untrusted image files (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP: whatever ImageSharp decodes) as
/// 8-bit RGB. The header is read first, without decoding pixels, so an image that claims a huge size is
/// refused before any pixel memory is allocated. Every problem with the bytes surfaces as a
/// <see cref="CompassFormatException"/>.
/// </summary>
public static class ImageLoader
{
    /// <summary>Default pixel limit: 64 Mi pixels (e.g. 8192 x 8192).</summary>
    public const long DefaultMaxPixels = 64L * 1024 * 1024;

    /// <summary>
    /// Reads an image from a stream as 8-bit RGB (alpha dropped, gray replicated, first frame of an
    /// animation). The stream is read from its current position; a non-seekable stream is buffered.
    /// </summary>
    /// <param name="stream">A readable stream holding an encoded image.</param>
    /// <param name="maxPixels">Largest accepted width * height.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="CompassFormatException">The bytes are empty, not an image, corrupt or truncated,
    /// the image has zero size, or it has more than <paramref name="maxPixels"/> pixels.</exception>
    public static Image<Rgb24> Load(Stream stream, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        if (!stream.CanRead) throw new ArgumentException("The stream is not readable.", nameof(stream));

        // Identify and decode both read from the start, so the stream must seek.
        using var buffered = stream.CanSeek ? null : CopyToMemory(stream);
        Stream input = buffered ?? stream;
        long origin = input.Position;
        if (input.Length - origin <= 0) throw new CompassFormatException("not an image: the stream is empty");

        Configuration configuration = Configuration.Default;
        IImageInfo? info = Guard(() => Image.Identify(configuration, input, out IImageFormat _));
        if (info is null)
            throw new CompassFormatException("not an image: the format is not recognised (expected PNG, JPEG, BMP, GIF, TGA, TIFF or WebP)");
        if (info.Width <= 0 || info.Height <= 0)
            throw new CompassFormatException($"image has zero size: {info.Width}x{info.Height}");
        long pixels = (long)info.Width * info.Height;
        if (pixels > maxPixels)
            throw new CompassFormatException($"image too large: {info.Width}x{info.Height} exceeds the limit of {maxPixels} pixels");

        input.Position = origin;
        Image<Rgb24> image = Guard(() => Image.Load<Rgb24>(configuration, input));
        if (image.Width != info.Width || image.Height != info.Height)
        {
            // A header that disagrees with the decoded frame would bypass the size check above.
            var message = $"not a valid image: header says {info.Width}x{info.Height} but the pixels are {image.Width}x{image.Height}";
            image.Dispose();
            throw new CompassFormatException(message);
        }
        // Keep only the first frame of an animation: the codec works on still images.
        while (image.Frames.Count > 1) image.Frames.RemoveFrame(image.Frames.Count - 1);
        return image;
    }

    /// <summary>Reads an image file as 8-bit RGB; see <see cref="Load(Stream, long)"/>.</summary>
    /// <param name="path">Path of the image file.</param>
    /// <param name="maxPixels">Largest accepted width * height.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="CompassFormatException">The file is not a usable image (the message names the file).</exception>
    public static Image<Rgb24> Load(string path, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = File.OpenRead(path);
        try
        {
            return Load(file, maxPixels);
        }
        catch (CompassFormatException e)
        {
            throw new CompassFormatException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads an image from a stream straight into a <see cref="PlanarImage"/> (values level / 255).</summary>
    /// <param name="stream">A readable stream holding an encoded image.</param>
    /// <param name="maxPixels">Largest accepted width * height.</param>
    /// <exception cref="CompassFormatException">See <see cref="Load(Stream, long)"/>.</exception>
    public static PlanarImage LoadPlanar(Stream stream, long maxPixels = DefaultMaxPixels)
    {
        using var image = Load(stream, maxPixels);
        return PlanarImage.FromImage(image);
    }

    /// <summary>Reads an image file straight into a <see cref="PlanarImage"/> (values level / 255).</summary>
    /// <param name="path">Path of the image file.</param>
    /// <param name="maxPixels">Largest accepted width * height.</param>
    /// <exception cref="CompassFormatException">See <see cref="Load(string, long)"/>.</exception>
    public static PlanarImage LoadPlanar(string path, long maxPixels = DefaultMaxPixels)
    {
        using var image = Load(path, maxPixels);
        return PlanarImage.FromImage(image);
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
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException or IOException))
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
