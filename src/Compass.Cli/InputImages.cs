using Compass.ImageSharp;
using Compass.Imaging;
using Compass.SkiaSharp;
using SkiaSharp;

namespace Compass.Cli;

/// <summary>
/// Reads the tool's input images, which are untrusted files. The header is checked against
/// <see cref="ImageInputLimits"/> (pixels, frames) before any pixel is decoded, and only the first frame is
/// decoded. Formats that Skia decodes (PNG, JPEG, WebP, GIF, BMP, ICO, WBMP) go through Skia: libpng,
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

    /// <summary>Reads an image file as 8-bit pixels.</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">Pixel and frame limits checked from the header.</param>
    /// <exception cref="CompassFormatException">Not an image, corrupt, truncated, or over the limits; the message names the file.</exception>
    public static PixelBuffer Read(string path, ImageInputLimits limits) => Read(path, limits, out _);

    /// <inheritdoc cref="Read(string, ImageInputLimits)"/>
    /// <param name="path">The file.</param>
    /// <param name="limits">Pixel and frame limits checked from the header.</param>
    /// <param name="decoder">The decoder that read it.</param>
    internal static PixelBuffer Read(string path, ImageInputLimits limits, out Decoder decoder)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(limits);
        using var file = File.OpenRead(path);
        if (SkiaLoads.Value && SkiaRecognises(file))
        {
            decoder = Decoder.Skia;
            file.Position = 0;
            try
            {
                return SkiaImageLoader.LoadPixels(file, limits);
            }
            catch (CompassFormatException e)
            {
                throw new CompassFormatException($"{path}: {e.Message}", e);
            }
        }
        decoder = Decoder.ImageSharp;
        file.Position = 0;
        try
        {
            return ImageSharpLoader.LoadPixels(file, limits);
        }
        catch (CompassFormatException e)
        {
            throw new CompassFormatException($"{path}: {e.Message}", e);
        }
    }

    // Skia sniffs the signature from the first 32 bytes (SkCodec::MakeFromStream). With only the head it may
    // open the codec or report incomplete/invalid input; "Unimplemented" means no Skia codec claims the format.
    private static bool SkiaRecognises(Stream file)
    {
        var head = new byte[64];
        int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n == 0) return false;
        // The codec takes ownership of the stream it is given.
        using var codec = SKCodec.Create(new SKMemoryStream(head.AsSpan(0, n).ToArray()), out SKCodecResult result);
        return codec is not null || result != SKCodecResult.Unimplemented;
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
