namespace Compass.Imaging;

/// <summary>
/// The metadata of a photo that Compass carries next to its pixels: the ICC colour profile, EXIF and XMP, each as the
/// raw bytes the file held (EXIF as its TIFF structure, starting <c>II*\0</c> or <c>MM\0*</c>, without JPEG's
/// <c>Exif\0\0</c> prefix; XMP as its UTF-8 packet). The encoder stores them in the stream's metadata chunk and the
/// decoder gives them back, so that a decoded file can be written with them (<see cref="ImageFileMetadata.Embed"/>).
/// </summary>
public sealed class ImageMetadata
{
    /// <summary>No metadata.</summary>
    public static ImageMetadata Empty { get; } = new();

    /// <summary>The ICC colour profile the pixels are in; null when the file had none (sRGB is then assumed).</summary>
    public byte[]? IccProfile { get; init; }

    /// <summary>EXIF as a TIFF structure; null when the file had none.</summary>
    public byte[]? Exif { get; init; }

    /// <summary>The XMP packet (UTF-8); null when the file had none.</summary>
    public byte[]? Xmp { get; init; }

    /// <summary>True when there is no profile, no EXIF and no XMP.</summary>
    public bool IsEmpty => IccProfile is null && Exif is null && Xmp is null;

    /// <summary>Total bytes of the entries.</summary>
    public long TotalBytes => (IccProfile?.LongLength ?? 0) + (Exif?.LongLength ?? 0) + (Xmp?.LongLength ?? 0);

    /// <summary>The subset a <see cref="MetadataSelection"/> keeps.</summary>
    /// <param name="selection">What to keep.</param>
    /// <exception cref="ArgumentOutOfRangeException">The selection is unknown.</exception>
    public ImageMetadata Select(MetadataSelection selection) => selection switch
    {
        MetadataSelection.All => this,
        MetadataSelection.None => Empty,
        MetadataSelection.IccOnly => IccProfile is null ? Empty : new ImageMetadata { IccProfile = IccProfile },
        _ => throw new ArgumentOutOfRangeException(nameof(selection), selection, "Unknown metadata selection."),
    };
}

/// <summary>Which metadata an encode keeps (the CLI's <c>--metadata all|none|icc</c>).</summary>
public enum MetadataSelection
{
    /// <summary>ICC profile, EXIF and XMP.</summary>
    All = 0,

    /// <summary>Nothing: colours of a non-sRGB image then display as if they were sRGB.</summary>
    None = 1,

    /// <summary>Only the ICC profile, so that colours display as in the original; EXIF and XMP (camera, place, dates) are dropped.</summary>
    IccOnly = 2,
}
