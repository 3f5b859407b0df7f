using Compass.ImageSharp;
using Compass.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Cli;

/// <summary>The image formats <c>compass decode</c> writes, chosen by the output's extension.</summary>
internal enum OutputFormat { Png, Jpeg, WebP }

/// <summary>
/// Writes decoded layers as PNG (lossless), JPEG (quality 95) or WebP (lossless), with the stream's metadata written into
/// the file. ImageSharp encodes (managed: present in every variant of the tool); <see cref="ImageFileMetadata"/> adds the
/// ICC profile, EXIF and XMP byte for byte.
/// </summary>
internal static class OutputImages
{
    /// <summary>The format an output path names by its extension, or null when it names none (a folder).</summary>
    public static OutputFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => OutputFormat.Png,
        ".jpg" or ".jpeg" => OutputFormat.Jpeg,
        ".webp" => OutputFormat.WebP,
        _ => null,
    };

    /// <summary>The file extension of a format.</summary>
    public static string ExtensionOf(OutputFormat format) => format switch
    {
        OutputFormat.Jpeg => ".jpg",
        OutputFormat.WebP => ".webp",
        _ => ".png",
    };

    /// <summary>Encodes pixels in <paramref name="format"/>, with <paramref name="metadata"/> in the file.</summary>
    /// <param name="pixels">The layer's pixels (RGB, or RGBA when the stream has alpha).</param>
    /// <param name="grayscale">Write one gray channel (the stream was coded as grayscale).</param>
    /// <param name="format">The file format.</param>
    /// <param name="metadata">Profile, EXIF and XMP to write into the file.</param>
    public static byte[] Encode(PixelBuffer pixels, bool grayscale, OutputFormat format, ImageMetadata metadata)
    {
        using var image = ToImage(pixels, grayscale, out bool alpha);
        IImageEncoder encoder = format switch
        {
            OutputFormat.Jpeg => new JpegEncoder { Quality = 95, ColorType = grayscale ? JpegColorType.Luminance : JpegColorType.YCbCrRatio444 },
            OutputFormat.WebP => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
            _ => new PngEncoder
            {
                ColorType = grayscale ? (alpha ? PngColorType.GrayscaleWithAlpha : PngColorType.Grayscale) : alpha ? PngColorType.RgbWithAlpha : PngColorType.Rgb,
                BitDepth = PngBitDepth.Bit8,
            },
        };
        using var memory = new MemoryStream();
        image.Save(memory, encoder);
        return ImageFileMetadata.Embed(memory.ToArray(), metadata, pixels.Width, pixels.Height);
    }

    /// <summary>Writes <see cref="Encode"/>'s bytes to a file, through a temporary file so that a failure leaves none.</summary>
    public static async Task WriteAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        string partial = path + ".part";
        try
        {
            await File.WriteAllBytesAsync(partial, bytes, cancellationToken);
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private static Image ToImage(PixelBuffer pixels, bool grayscale, out bool alpha)
    {
        alpha = pixels.HasTransparency();
        if (alpha)
        {
            PixelBuffer rgba = pixels.ConvertTo(PixelLayout.Rgba32);
            return Image.LoadPixelData<Rgba32>(rgba.Pixels, rgba.Width, rgba.Height);
        }
        return pixels.ToImage();
    }
}
