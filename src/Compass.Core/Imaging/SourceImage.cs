namespace Compass.Imaging;

/// <summary>
/// An image as read from a photo file, ready to encode: upright 8-bit pixels and the metadata to carry with them.
/// The loaders (<c>SkiaImageLoader.LoadSource</c>, <c>ImageSharpLoader.LoadSource</c>) say here what they changed,
/// so that a caller can tell its user: an orientation applied, 16-bit channels reduced to 8.
/// </summary>
public sealed class SourceImage
{
    /// <summary>Wraps pixels and what the file said about them.</summary>
    /// <param name="pixels">Upright pixels.</param>
    /// <param name="metadata">ICC profile, EXIF (orientation already reset) and XMP; null for none.</param>
    /// <param name="appliedOrientation">The EXIF orientation (1 to 8) that was applied to make the pixels upright.</param>
    /// <param name="sourceBitsPerChannel">Bits per channel the file stored (8 for most photos, 16 for some PNG and TIFF).</param>
    /// <exception cref="ArgumentOutOfRangeException">The orientation is outside 1..8 or the bit depth outside 1..32.</exception>
    public SourceImage(PixelBuffer pixels, ImageMetadata? metadata = null, int appliedOrientation = ImageOrientation.Normal, int sourceBitsPerChannel = 8)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(appliedOrientation, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(appliedOrientation, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceBitsPerChannel, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sourceBitsPerChannel, 32);
        Pixels = pixels;
        Metadata = metadata ?? ImageMetadata.Empty;
        AppliedOrientation = appliedOrientation;
        SourceBitsPerChannel = sourceBitsPerChannel;
    }

    /// <summary>The pixels, upright (the file's EXIF orientation applied).</summary>
    public PixelBuffer Pixels { get; }

    /// <summary>The file's ICC profile, EXIF (orientation reset to 1) and XMP.</summary>
    public ImageMetadata Metadata { get; }

    /// <summary>The EXIF orientation that was applied (1 = the file was stored upright).</summary>
    public int AppliedOrientation { get; }

    /// <summary>Bits per channel in the file; above 8 the pixels lost precision (Compass codes 8 bits per channel).</summary>
    public int SourceBitsPerChannel { get; }

    /// <summary>True when the file had more than 8 bits per channel, which the pixels no longer have.</summary>
    public bool WasReducedTo8Bits => SourceBitsPerChannel > 8;

    /// <summary>True when some pixel is not fully opaque.</summary>
    public bool HasTransparency => Pixels.HasTransparency();
}
