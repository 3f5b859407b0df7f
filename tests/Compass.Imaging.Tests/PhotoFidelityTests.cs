using System.Text;
using Compass.ImageSharp;
using Compass.SkiaSharp;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace Compass.Imaging.Tests;

/// <summary>What a photo file says beyond its pixels (orientation, bit depth, profile, EXIF, XMP) survives loading.</summary>
public class PhotoFidelityTests
{
    // A 60x40 image stored as a camera does for orientation 6: the viewer turns it 90 degrees clockwise to 40x60.
    // The stored top-left quarter is red, so upright the red block is at the top right.
    private static byte[] JpegWithOrientation(ushort orientation)
    {
        using var image = new Image<Rgb24>(60, 40, new Rgb24(20, 20, 200));
        for (int y = 0; y < 20; y++)
            for (int x = 0; x < 30; x++)
                image[x, y] = new Rgb24(230, 20, 20);
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = 95 });
        return stream.ToArray();
    }

    private static bool IsRed(PixelBuffer p, int x, int y)
    {
        var rgb = p.ConvertTo(PixelLayout.Rgb24).GetRow(y).Slice(3 * x, 3);
        // JPEG is lossy: a flat block is within a few levels of its colour away from the block's edges.
        return rgb[0] > 180 && rgb[2] < 80;
    }

    public static TheoryData<string> Loaders => new() { "skia", "imagesharp" };

    private static SourceImage Load(string loader, byte[] file) =>
        loader == "skia" ? SkiaImageLoader.LoadSource(new MemoryStream(file)) : ImageSharpLoader.LoadSource(new MemoryStream(file));

    [Theory]
    [MemberData(nameof(Loaders))]
    public void ExifOrientationIsAppliedAndResetInTheKeptExif(string loader)
    {
        var source = Load(loader, JpegWithOrientation(6));
        Assert.Equal(6, source.AppliedOrientation);
        Assert.Equal((40, 60), (source.Pixels.Width, source.Pixels.Height));
        Assert.True(IsRed(source.Pixels, 30, 10), "the stored top-left block is at the top right once upright");
        Assert.False(IsRed(source.Pixels, 10, 10));
        Assert.False(IsRed(source.Pixels, 30, 50));
        Assert.NotNull(source.Metadata.Exif);
        Assert.Equal(ImageOrientation.Normal, ImageOrientation.ReadFromExif(source.Metadata.Exif));

        var upright = Load(loader, JpegWithOrientation(1));
        Assert.Equal(1, upright.AppliedOrientation);
        Assert.Equal((60, 40), (upright.Pixels.Width, upright.Pixels.Height));
    }

    [Theory]
    [MemberData(nameof(Loaders))]
    public void SixteenBitInputIsReportedAsReduced(string loader)
    {
        using var image = new Image<Rgba64>(8, 6, new Rgba64(1000, 40000, 65535, 65535));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });
        var source = Load(loader, stream.ToArray());
        Assert.Equal(16, source.SourceBitsPerChannel);
        Assert.True(source.WasReducedTo8Bits);

        var eight = Load(loader, TestImages.Png(TestImages.Random(8, 6, seed: 1)));
        Assert.False(eight.WasReducedTo8Bits);
    }

    [Fact]
    public void OrientationMapsEveryCornerAsExifDefines()
    {
        // 3x2 image, pixel value = its stored index; corners upright per EXIF 2.32, table of tag 0x0112.
        var stored = new PixelBuffer(3, 2, PixelLayout.Rgb24, Enumerable.Range(0, 6).SelectMany(i => new[] { (byte)i, (byte)i, (byte)i }).ToArray());
        byte TopLeft(int o) => ImageOrientation.Apply(stored, o).Pixels[0];
        // Stored corners: top-left 0, top-right 2, bottom-left 3, bottom-right 5.
        Assert.Equal([0, 2, 5, 3, 0, 3, 5, 2], Enumerable.Range(1, 8).Select(TopLeft).ToArray());
        var six = ImageOrientation.Apply(stored, 6);
        Assert.Equal((2, 3), (six.Width, six.Height));
        Assert.Equal(new byte[] { 3, 0, 4, 1, 5, 2 }, Enumerable.Range(0, 6).Select(i => six.Pixels[3 * i]).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageOrientation.Apply(stored, 9));
    }

    [Fact]
    public void MalformedExifNeverTurnsThePicture()
    {
        Assert.Equal(1, ImageOrientation.ReadFromExif([]));
        Assert.Equal(1, ImageOrientation.ReadFromExif("II*\0\xff\xff\xff\x7f"u8));
        Assert.Equal(1, ImageOrientation.ReadFromExif("MM\0*\0\0\0\x08\0\x01\x01\x12"u8)); // entry cut short
        byte[] big = [.. "MM\0*\0\0\0\x08\0\x01"u8, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 9, 0, 0]; // value 9 is not an orientation
        Assert.Equal(1, ImageOrientation.ReadFromExif(big));
        big[19] = 8;
        Assert.Equal(8, ImageOrientation.ReadFromExif(big));
        Assert.Equal(1, ImageOrientation.ReadFromExif(ImageOrientation.ResetInExif(big)));
        Assert.Equal(8, big[19]); // the input is not modified
    }

    // A real ICC profile (Adobe RGB gamut, sRGB curve), as Skia's encoders write it.
    private static SKColorSpace WideGamut() => SKColorSpace.CreateRgb(SKColorSpaceTransferFn.Srgb, SKColorSpaceXyz.AdobeRgb);

    private static byte[] SkiaEncode(SKColorSpace? colorSpace, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(24, 16, SKColorType.Rgba8888, SKAlphaType.Opaque, colorSpace));
        bitmap.Erase(new SKColor(200, 60, 30));
        using var data = bitmap.Encode(format, 95);
        return data.ToArray();
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void MetadataIsReadFromAndWrittenIntoEachContainer(SKEncodedImageFormat format)
    {
        byte[] tagged = SkiaEncode(WideGamut(), format);
        byte[]? icc = ImageFileMetadata.Read(tagged).IccProfile;
        Assert.NotNull(icc);
        using (var space = SKColorSpace.CreateIcc(icc))
        {
            Assert.NotNull(space);
            Assert.False(space.IsSrgb);
        }

        // Write profile, EXIF and XMP into an untagged file of the same format: they come back byte for byte, and
        // Skia (an independent parser) decodes the result with the profile's colour space and the EXIF orientation.
        byte[] exif = ImageOrientation.ResetInExif([.. "MM\0*\0\0\0\x08\0\x01"u8, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 3, 0, 0, 0, 0, 0, 0]);
        exif[19] = 3; // rotate 180
        byte[] xmp = Encoding.UTF8.GetBytes("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF/></x:xmpmeta>");
        var metadata = new ImageMetadata { IccProfile = icc, Exif = exif, Xmp = xmp };
        byte[] plain = SkiaEncode(null, format);
        byte[] written = ImageFileMetadata.Embed(plain, metadata, 24, 16);
        var back = ImageFileMetadata.Read(written);
        Assert.Equal(icc, back.IccProfile);
        Assert.Equal(exif, back.Exif);
        Assert.Equal(xmp, back.Xmp);
        using var codec = SKCodec.Create(new SKMemoryStream(written));
        Assert.NotNull(codec);
        Assert.False(codec.Info.ColorSpace?.IsSrgb ?? true);
        if (format != SKEncodedImageFormat.Png) Assert.Equal(SKEncodedOrigin.BottomRight, codec.EncodedOrigin);
        using var decoded = SKBitmap.Decode(written);
        Assert.Equal((24, 16), (decoded.Width, decoded.Height));

        // Writing again replaces rather than duplicates.
        Assert.Equal(written, ImageFileMetadata.Embed(written, metadata, 24, 16));
    }

    [Fact]
    public void DamagedContainersYieldWhatPrecedesTheDamage()
    {
        byte[] tagged = SkiaEncode(WideGamut(), SKEncodedImageFormat.Png);
        for (int cut = 0; cut < tagged.Length; cut += 7)
            _ = ImageFileMetadata.Read(tagged.AsSpan(0, cut)); // never throws
        byte[] noisy = (byte[])tagged.Clone();
        new Random(3).NextBytes(noisy.AsSpan(8));
        Assert.True(ImageFileMetadata.Read(noisy).IsEmpty);
        Assert.True(ImageFileMetadata.Read("GIF89a"u8).IsEmpty);
    }
}
