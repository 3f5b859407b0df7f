using System.Runtime.InteropServices;
using Compass.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.ImageSharp;

/// <summary>
/// ImageSharp images in and out of Compass: <c>encoder.Encode(image, plan)</c>, <c>layer.ToImage()</c>, conversions
/// between <see cref="Image"/> and Compass's <see cref="PixelBuffer"/> and <see cref="PlanarImage"/>.
/// </summary>
public static class ImageSharpExtensions
{
    /// <summary>
    /// Copies an image's first frame into a <see cref="PixelBuffer"/>: <see cref="Rgb24"/>, <see cref="Rgba32"/>
    /// and <see cref="Bgra32"/> images keep their layout, any other pixel type is converted to 8-bit RGB first
    /// (alpha dropped, not composited; gray replicated; 16-bit reduced to 8-bit).
    /// </summary>
    /// <param name="image">The source image (not modified).</param>
    public static PixelBuffer ToPixelBuffer(this Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        switch (image)
        {
            case Image<Rgb24> rgb: return Copy(rgb, PixelLayout.Rgb24);
            case Image<Rgba32> rgba: return Copy(rgba, PixelLayout.Rgba32);
            case Image<Bgra32> bgra: return Copy(bgra, PixelLayout.Bgra32);
            default:
                using (var converted = image.CloneAs<Rgb24>()) return Copy(converted, PixelLayout.Rgb24);
        }
    }

    /// <summary>Copies 8-bit pixels into a new ImageSharp image (red, green and blue; alpha is not kept).</summary>
    /// <param name="pixels">The source pixels (not modified).</param>
    /// <returns>A new image; the caller disposes it.</returns>
    public static Image<Rgb24> ToImage(this PixelBuffer pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        PixelBuffer rgb = pixels.ConvertTo(PixelLayout.Rgb24);
        return Image.LoadPixelData<Rgb24>(rgb.Pixels, rgb.Width, rgb.Height);
    }

    /// <summary>
    /// A decoded layer as a new 8-bit RGB image (the layer's <see cref="DecodedLayer.Pixels"/>: clamped to [0, 1]
    /// and rounded). Alpha is not in it: <see cref="SaveAsPng(DecodedLayer, string)"/> keeps it, and
    /// <see cref="DecodedLayer.Pixels"/> holds it (<see cref="DecodedLayer.HasAlpha"/>).
    /// </summary>
    /// <param name="layer">A decoded layer.</param>
    /// <returns>A new image on every call; the caller disposes it.</returns>
    public static Image<Rgb24> ToImage(this DecodedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer.Pixels.ToImage();
    }

    /// <summary>Converts an image to the codec's float layout (each value level / 255, as torchvision's <c>ToTensor</c>).</summary>
    /// <param name="image">The source image (not modified); converted to 8-bit RGB first if needed.</param>
    public static PlanarImage ToPlanarImage(this Image image) => PlanarImage.FromPixels(image.ToPixelBuffer());

    /// <summary>Converts a float image to 8-bit RGB (clamped to [0, 1] and rounded, as <see cref="PlanarImage.ToPixels"/>).</summary>
    /// <param name="image">The source image.</param>
    /// <returns>A new image; the caller disposes it.</returns>
    public static Image<Rgb24> ToImage(this PlanarImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.ToPixels().ToImage();
    }

    /// <summary>Saves a decoded layer as a PNG file, RGBA when the stream carries alpha (<see cref="DecodedLayer.HasAlpha"/>).</summary>
    /// <param name="layer">A decoded layer.</param>
    /// <param name="path">The file to write (replaced if it exists).</param>
    public static void SaveAsPng(this DecodedLayer layer, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var image = ToFileImage(layer);
        image.SaveAsPng(path);
    }

    /// <summary>Saves a decoded layer as a PNG file, asynchronously; RGBA when the stream carries alpha.</summary>
    /// <param name="layer">A decoded layer.</param>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static async Task SaveAsPngAsync(this DecodedLayer layer, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var image = ToFileImage(layer);
        await image.SaveAsPngAsync(path, cancellationToken).ConfigureAwait(false);
    }

    // A file keeps what the stream carries: the layer's alpha when it has one.
    private static Image ToFileImage(DecodedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!layer.HasAlpha) return layer.ToImage();
        PixelBuffer rgba = layer.Pixels.ConvertTo(PixelLayout.Rgba32);
        return Image.LoadPixelData<Rgba32>(rgba.Pixels, rgba.Width, rgba.Height);
    }

    /// <summary>Encodes an ImageSharp image and returns the stream's bytes; see <see cref="ScalableEncoder.Encode(PixelBuffer, LayerPlan, EncodeOptions?, CancellationToken)"/>.</summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="image">The input image (first frame; alpha is ignored); its own size may be the last layer.</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the image.</param>
    /// <param name="options">Quality and limits; null for defaults.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    public static byte[] Encode(this ScalableEncoder encoder, Image image, LayerPlan plan, EncodeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return encoder.Encode(image.ToPixelBuffer(), plan, options, cancellationToken);
    }

    /// <summary>Encodes an ImageSharp image into <paramref name="output"/>, layer by layer.</summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="image">The input image (first frame; alpha is ignored).</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the image.</param>
    /// <param name="output">Receives the stream; written sequentially, never sought.</param>
    /// <param name="options">Quality and limits; null for defaults.</param>
    /// <param name="progress">Optional per-layer progress.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    /// <returns>Per-layer sizes and costs.</returns>
    public static EncodeResult Encode(this ScalableEncoder encoder, Image image, LayerPlan plan, Stream output,
        EncodeOptions? options = null, IProgress<LayerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return encoder.Encode(image.ToPixelBuffer(), plan, output, options, progress, cancellationToken);
    }

    /// <summary>Encodes an ImageSharp image into <paramref name="output"/>, writing each layer as soon as it is coded.</summary>
    /// <inheritdoc cref="Encode(ScalableEncoder, Image, LayerPlan, Stream, EncodeOptions?, IProgress{LayerProgress}?, CancellationToken)"/>
    public static Task<EncodeResult> EncodeAsync(this ScalableEncoder encoder, Image image, LayerPlan plan, Stream output,
        EncodeOptions? options = null, IProgress<LayerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return encoder.EncodeAsync(image.ToPixelBuffer(), plan, output, options, progress, cancellationToken);
    }

    /// <summary>
    /// Reads an image file from <paramref name="imageStream"/> with <see cref="ImageSharpLoader"/> (limits checked from
    /// the header: <see cref="EncodeOptions.MaxInputPixels"/>) and encodes it.
    /// </summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="imageStream">The encoded input image (PNG, JPEG, ...).</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the image.</param>
    /// <param name="output">Receives the stream.</param>
    /// <param name="options">Quality and limits; null for defaults.</param>
    /// <param name="progress">Optional per-layer progress.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    /// <exception cref="CompassFormatException">The input is not an image, is empty or exceeds <see cref="EncodeOptions.MaxInputPixels"/>.</exception>
    public static Task<EncodeResult> EncodeAsync(this ScalableEncoder encoder, Stream imageStream, LayerPlan plan, Stream output,
        EncodeOptions? options = null, IProgress<LayerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(imageStream);
        var limits = new ImageInputLimits { MaxPixels = (options ?? new EncodeOptions()).MaxInputPixels };
        PixelBuffer pixels = ImageSharpLoader.LoadPixels(imageStream, limits);
        return encoder.EncodeAsync(pixels, plan, output, options, progress, cancellationToken);
    }

    /// <summary>
    /// The reference image of every layer of <paramref name="plan"/> as ImageSharp images (Pillow-exact antialiased
    /// bicubic, see <see cref="ScalableEncoder.CreateLayerImages"/>): what the layers are coded and measured against.
    /// </summary>
    /// <param name="image">The input image.</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the image.</param>
    /// <returns>One new image per layer; the caller disposes them.</returns>
    public static IReadOnlyList<Image<Rgb24>> CreateLayerImages(Image image, LayerPlan plan) =>
        ScalableEncoder.CreateLayerImages(image.ToPixelBuffer(), plan).Select(p => p.ToImage()).ToList();

    private static PixelBuffer Copy<TPixel>(Image<TPixel> image, PixelLayout layout)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var pixels = new PixelBuffer(image.Width, image.Height, layout);
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++)
                MemoryMarshal.AsBytes(accessor.GetRowSpan(y)).CopyTo(pixels.GetRow(y));
        });
        return pixels;
    }
}
