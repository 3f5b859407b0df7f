using Compass.ImageSharp;
using Compass.Imaging;
using Compass.SkiaSharp;
using SkiaSharp;

namespace Compass.Cli;

/// <summary>
/// Reads the tool's input images, which are untrusted files. The header is checked against
/// <see cref="ImageInputLimits"/> (pixels, frames) before any pixel is decoded, and only the first frame is
/// decoded. PNG, JPEG, WebP, GIF, BMP and ICO (recognised by their signatures) go through Skia: libpng,
/// libjpeg-turbo, libwebp and Skia's own GIF/BMP codecs are fuzzed continuously (OSS-Fuzz, Chromium), while
/// ImageSharp 2.1, the last Apache-licensed line, gets no more fixes for its reported crafted-image flaws.
/// The formats Skia does not read (TIFF, TGA, PBM) go through ImageSharp 2.1.13 with the same limits; so
/// does everything where the Skia natives are absent (the gpu-linux tool package leaves them out).
/// </summary>
internal static class InputImages
{
    private static readonly Lazy<bool> SkiaLoads = new(ProbeSkia);

    /// <summary>Which decoder read an image (for tests and diagnostics).</summary>
    internal enum Decoder { Skia, ImageSharp }

    /// <summary>Reads an image file as upright 8-bit pixels with its metadata (see <see cref="SourceImage"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">Pixel and frame limits checked from the header.</param>
    /// <exception cref="CompassFormatException">Not an image, corrupt, truncated, or over the limits; the message names the file.</exception>
    public static SourceImage Read(string path, ImageInputLimits limits) => Read(path, limits, out _);

    /// <inheritdoc cref="Read(string, ImageInputLimits)"/>
    /// <param name="path">The file.</param>
    /// <param name="limits">Pixel and frame limits checked from the header.</param>
    /// <param name="decoder">The decoder that read it.</param>
    internal static SourceImage Read(string path, ImageInputLimits limits, out Decoder decoder)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(limits);
        if (Directory.Exists(path))
            throw new CliException($"{path} is a folder, not an image (give image files, or a pattern such as '{Path.Combine(path, "*.png")}')");
        using var file = File.OpenRead(path);
        if (SkiaLoads.Value && SkiaRecognises(file))
        {
            decoder = Decoder.Skia;
            file.Position = 0;
            try
            {
                return SkiaImageLoader.LoadSource(file, limits);
            }
            catch (CompassFormatException e)
            {
                throw new CompassFormatException(e.Kind, $"{path}: {e.Message}", e);
            }
        }
        decoder = Decoder.ImageSharp;
        file.Position = 0;
        try
        {
            return ImageSharpLoader.LoadSource(file, limits);
        }
        catch (CompassFormatException e)
        {
            throw new CompassFormatException(e.Kind, $"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads an image from a seekable stream (standard input); <paramref name="name"/> prefixes errors.</summary>
    /// <param name="stream">The image bytes, from position 0.</param>
    /// <param name="name">What to call the input in messages.</param>
    /// <param name="limits">Pixel and frame limits checked from the header.</param>
    public static SourceImage Read(Stream stream, string name, ImageInputLimits limits)
    {
        try
        {
            if (SkiaLoads.Value && SkiaRecognises(stream))
            {
                stream.Position = 0;
                return SkiaImageLoader.LoadSource(stream, limits);
            }
            stream.Position = 0;
            return ImageSharpLoader.LoadSource(stream, limits);
        }
        catch (CompassFormatException e)
        {
            throw new CompassFormatException(e.Kind, $"{name}: {e.Message}", e);
        }
    }

    // The signatures of the formats routed to Skia, so that a truncated or corrupt PNG or JPEG still gets
    // Skia's verdict rather than falling through to ImageSharp.
    private static bool SkiaRecognises(Stream file)
    {
        Span<byte> head = stackalloc byte[12];
        int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        return head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G'])
            || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])
            || head.StartsWith("GIF8"u8)
            || head.StartsWith("BM"u8)
            || (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
            || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 1, 0]);
    }

    /// <summary>
    /// Whether an ICC profile describes sRGB (Skia compares the profile's curve and gamut); without Skia's natives, or for a
    /// profile Skia cannot parse, false, so that a warning about dropping it errs on the side of being shown.
    /// </summary>
    public static bool IsSrgbProfile(byte[] icc)
    {
        if (!SkiaLoads.Value) return false;
        using var space = SKColorSpace.CreateIcc(icc);
        return space is { IsSrgb: true };
    }

    private static bool ProbeSkia()
    {
        try
        {
            using var data = SKData.CreateCopy(ReadOnlySpan<byte>.Empty);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }
}
