using System.Buffers.Binary;

namespace Compass.Imaging;

/// <summary>
/// EXIF orientation (tag 0x0112, values 1 to 8): how a camera's stored pixels must be turned to display upright.
/// Compass stores upright pixels: the loaders apply the orientation (<see cref="Apply"/>) and reset the tag to 1 in
/// the EXIF they keep (<see cref="ResetInExif"/>), so no viewer turns the decoded image a second time.
/// </summary>
public static class ImageOrientation
{
    /// <summary>EXIF value of an image stored upright.</summary>
    public const int Normal = 1;

    private const ushort OrientationTag = 0x0112;

    /// <summary>
    /// The orientation in an EXIF block (TIFF structure), or <see cref="Normal"/> when it has none, or the block is
    /// malformed, or the value is outside 1..8 (a broken tag must not turn the picture).
    /// </summary>
    /// <param name="exif">EXIF bytes starting with the TIFF header.</param>
    public static int ReadFromExif(ReadOnlySpan<byte> exif)
    {
        int at = FindOrientationValue(exif, out bool bigEndian);
        if (at < 0) return Normal;
        int value = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(exif[at..]) : BinaryPrimitives.ReadUInt16LittleEndian(exif[at..]);
        return value is >= 1 and <= 8 ? value : Normal;
    }

    /// <summary>A copy of an EXIF block with its orientation set to <see cref="Normal"/> (the same bytes when it has none).</summary>
    /// <param name="exif">EXIF bytes starting with the TIFF header.</param>
    public static byte[] ResetInExif(byte[] exif)
    {
        ArgumentNullException.ThrowIfNull(exif);
        int at = FindOrientationValue(exif, out bool bigEndian);
        if (at < 0) return exif;
        byte[] copy = (byte[])exif.Clone();
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(at), Normal);
        else BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(at), Normal);
        return copy;
    }

    /// <summary>The image turned upright: orientations 5 to 8 swap width and height. <see cref="Normal"/> returns <paramref name="pixels"/> itself.</summary>
    /// <param name="pixels">The pixels as stored.</param>
    /// <param name="orientation">EXIF orientation, 1 to 8.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="orientation"/> is outside 1..8.</exception>
    public static PixelBuffer Apply(PixelBuffer pixels, int orientation)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (orientation is < 1 or > 8)
            throw new ArgumentOutOfRangeException(nameof(orientation), orientation, "An EXIF orientation is 1 to 8.");
        if (orientation == Normal) return pixels;
        int w = pixels.Width, h = pixels.Height, bpp = pixels.BytesPerPixel;
        bool swap = orientation >= 5;
        var result = new PixelBuffer(swap ? h : w, swap ? w : h, pixels.Layout);
        ReadOnlySpan<byte> src = pixels.Pixels;
        Span<byte> dst = result.Pixels;
        for (int y = 0; y < result.Height; y++)
        {
            for (int x = 0; x < result.Width; x++)
            {
                // The stored pixel shown at display position (x, y).
                (int sx, int sy) = orientation switch
                {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x),
                };
                src.Slice((sy * w + sx) * bpp, bpp).CopyTo(dst.Slice((y * result.Width + x) * bpp, bpp));
            }
        }
        return result;
    }

    // Byte offset of the orientation's SHORT value in IFD0, or -1.
    private static int FindOrientationValue(ReadOnlySpan<byte> exif, out bool bigEndian)
    {
        bigEndian = false;
        if (exif.Length < 8) return -1;
        if (exif[0] == 'I' && exif[1] == 'I' && exif[2] == 42 && exif[3] == 0) bigEndian = false;
        else if (exif[0] == 'M' && exif[1] == 'M' && exif[2] == 0 && exif[3] == 42) bigEndian = true;
        else return -1;
        bool be = bigEndian;
        uint ifd = U32(exif, 4, be);
        if (ifd > (uint)exif.Length - 2) return -1;
        int count = U16(exif, (int)ifd, be);
        for (int i = 0; i < count; i++)
        {
            long entry = ifd + 2L + 12L * i;
            if (entry + 12 > exif.Length) return -1;
            int e = (int)entry;
            if (U16(exif, e, be) != OrientationTag) continue;
            // SHORT (3), one value, stored in the first two bytes of the value field.
            return U16(exif, e + 2, be) == 3 && U32(exif, e + 4, be) == 1 ? e + 8 : -1;
        }
        return -1;
    }

    private static uint U32(ReadOnlySpan<byte> s, int at, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);

    private static ushort U16(ReadOnlySpan<byte> s, int at, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s[at..]) : BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);
}
