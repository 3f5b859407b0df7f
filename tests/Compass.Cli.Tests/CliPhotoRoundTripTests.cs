using System.Text;
using Compass.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace Compass.Cli.Tests;

/// <summary>Photos through encode and decode with nothing lost silently: alpha, orientation, gray, profile, metadata, depth.</summary>
public sealed class CliPhotoRoundTripTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private CliRun Ok(params string[] args) => _cli.RunOk(args);

    // A smooth RGBA image whose alpha falls off towards the corners, with a fully transparent band: a cut-out.
    private string WriteRgba(string name, int width, int height)
    {
        using var image = new Image<Rgba32>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double r = Math.Sqrt(Math.Pow(x - (width / 2.0), 2) + Math.Pow(y - (height / 2.0), 2)) / width;
                byte a = y < 6 ? (byte)0 : (byte)Math.Clamp(255 * (1.2 - (2 * r)), 0, 255);
                image[x, y] = new Rgba32((byte)(128 + (100 * Math.Sin(x / 9.0))), (byte)(x * y % 251), (byte)(255 * y / height), a);
            }
        string path = _cli.PathOf(name);
        image.SaveAsPng(path, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
        return path;
    }

    [Fact]
    public void AlphaIsKeptLosslesslyInEveryLayer()
    {
        string source = WriteRgba("cut.png", 96, 80);
        Ok("encode", source, "-o", _cli.PathOf("cut.cmps"));
        Ok("decode", _cli.PathOf("cut.cmps"), "-o", _cli.PathOf("out"));

        using var original = Image.Load<Rgba32>(source);
        byte[] alpha = new byte[96 * 80];
        for (int i = 0; i < alpha.Length; i++) alpha[i] = original[i % 96, i / 96].A;
        foreach (var (index, w, h) in new[] { (0, 24, 20), (1, 48, 40), (2, 96, 80) }) // the default plan of 96x80
        {
            using var layer = Image.Load<Rgba32>(_cli.PathOf($"out/layer{index}.png"));
            Assert.Equal((w, h), (layer.Width, layer.Height));
            // Exactly the source alpha resized with the colours' filter, which is what the encoder coded.
            byte[] expected = AlphaChannel.Resize(alpha, 96, 80, w, h);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], layer[i % w, i / w].A);
        }

        // The alpha costs bytes and --alpha drop removes them: the streams differ, and drop decodes opaque.
        Ok("encode", source, "-o", _cli.PathOf("drop.cmps"), "--alpha", "drop");
        long kept = new FileInfo(_cli.PathOf("cut.cmps")).Length, dropped = new FileInfo(_cli.PathOf("drop.cmps")).Length;
        Assert.True(kept > dropped, $"{kept} bytes with alpha, {dropped} without");
        Ok("decode", _cli.PathOf("drop.cmps"), "-o", _cli.PathOf("dropped.png"));
        Assert.Equal(24, Image.Identify(_cli.PathOf("dropped.png")).PixelType.BitsPerPixel);
    }

    [Fact]
    public void FlattenCodesTheImageComposedOntoWhite()
    {
        string source = WriteRgba("cut.png", 64, 64);
        Ok("encode", source, "-o", _cli.PathOf("flat.cmps"), "--alpha", "flatten");

        // The same stream as the image flattened beforehand: c * a + 255 * (1 - a), rounded.
        using (var image = Image.Load<Rgba32>(source))
        using (var flat = new Image<Rgb24>(64, 64))
        {
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                {
                    var p = image[x, y];
                    byte Over(byte c) => (byte)(((c * p.A) + (255 * (255 - p.A)) + 127) / 255);
                    flat[x, y] = new Rgb24(Over(p.R), Over(p.G), Over(p.B));
                }
            Assert.Equal(new Rgb24(255, 255, 255), flat[32, 2]); // the transparent band is white
            flat.SaveAsPng(_cli.PathOf("flat-before.png"));
        }
        Ok("encode", _cli.PathOf("flat-before.png"), "-o", _cli.PathOf("flat-before.cmps"));
        Assert.Equal(File.ReadAllBytes(_cli.PathOf("flat-before.cmps")), File.ReadAllBytes(_cli.PathOf("flat.cmps")));
    }

    [Fact]
    public void AnExifOrientationSixPhotoDecodesUpright()
    {
        string path = _cli.PathOf("phone.jpg");
        using (var image = new Image<Rgb24>(120, 80, new Rgb24(40, 90, 200)))
        {
            image.Metadata.ExifProfile = new ExifProfile();
            image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
            image.SaveAsJpeg(path, new JpegEncoder { Quality = 95 });
        }
        var encode = Ok("encode", path, "-o", _cli.PathOf("phone.cmps"));
        Assert.Contains("(80x120)", encode.Out);
        Ok("decode", _cli.PathOf("phone.cmps"), "-o", _cli.PathOf("phone.png"));
        var decoded = ImageFileMetadata.Read(File.ReadAllBytes(_cli.PathOf("phone.png")));
        Assert.Equal((80, 120), (Image.Identify(_cli.PathOf("phone.png")).Width, Image.Identify(_cli.PathOf("phone.png")).Height));
        // The EXIF travelled, with its orientation reset: no viewer turns the upright pixels again.
        Assert.NotNull(decoded.Exif);
        Assert.Equal(1, ImageOrientation.ReadFromExif(decoded.Exif));
    }

    [Fact]
    public void GrayscaleDecodesAsOneGrayChannelWithNoTint()
    {
        string path = _cli.PathOf("gray.png");
        using (var image = new Image<L8>(90, 70))
        {
            for (int y = 0; y < 70; y++)
                for (int x = 0; x < 90; x++)
                    image[x, y] = new L8((byte)(((x * 3) + (y * 2)) % 256));
            image.SaveAsPng(path);
        }
        Ok("encode", path, "-o", _cli.PathOf("gray.cmps"));
        Ok("decode", _cli.PathOf("gray.cmps"), "-o", _cli.PathOf("out"));
        Assert.Equal(8, Image.Identify(_cli.PathOf("out/layer1.png")).PixelType.BitsPerPixel); // one channel
        Ok("decode", _cli.PathOf("gray.cmps"), "-o", _cli.PathOf("gray.webp"));

        // The library's RGB for the same stream is neutral in every pixel.
        using var result = new ScalableDecoder(CliHarness.Model(1)).Decode(File.ReadAllBytes(_cli.PathOf("gray.cmps")));
        Assert.All(result.Layers, l =>
        {
            Assert.True(l.IsGrayscale);
            Assert.True(l.Pixels.IsGrayscale());
        });
    }

    [Fact]
    public void ProfileExifAndXmpComeBackByteForByteAndMetadataSelectsThem()
    {
        // A real ICC profile (Adobe RGB gamut) as Skia writes it, with EXIF and XMP added to the same PNG.
        byte[] png;
        using (var bitmap = new SKBitmap(new SKImageInfo(64, 48, SKColorType.Rgba8888, SKAlphaType.Opaque,
                   SKColorSpace.CreateRgb(SKColorSpaceTransferFn.Srgb, SKColorSpaceXyz.AdobeRgb))))
        {
            bitmap.Erase(new SKColor(180, 90, 40));
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            png = data.ToArray();
        }
        byte[] icc = ImageFileMetadata.Read(png).IccProfile!;
        byte[] exif = [.. "MM\0*\0\0\0\x08\0\x01"u8, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0];
        byte[] xmp = Encoding.UTF8.GetBytes("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF/></x:xmpmeta>");
        File.WriteAllBytes(_cli.PathOf("wide.png"), ImageFileMetadata.Embed(png, new ImageMetadata { IccProfile = icc, Exif = exif, Xmp = xmp }, 64, 48));

        Ok("encode", _cli.PathOf("wide.png"), "-o", _cli.PathOf("all.cmps"));
        foreach (string output in new[] { "all.png", "all.jpg", "all.webp" })
        {
            Ok("decode", _cli.PathOf("all.cmps"), "-o", _cli.PathOf(output));
            var back = ImageFileMetadata.Read(File.ReadAllBytes(_cli.PathOf(output)));
            Assert.Equal(icc, back.IccProfile);
            Assert.Equal(exif, back.Exif);
            Assert.Equal(xmp, back.Xmp);
        }

        Ok("encode", _cli.PathOf("wide.png"), "-o", _cli.PathOf("icc.cmps"), "--metadata", "icc");
        Ok("decode", _cli.PathOf("icc.cmps"), "-o", _cli.PathOf("icc.png"));
        var iccOnly = ImageFileMetadata.Read(File.ReadAllBytes(_cli.PathOf("icc.png")));
        Assert.Equal(icc, iccOnly.IccProfile);
        Assert.Null(iccOnly.Exif);
        Assert.Null(iccOnly.Xmp);

        var none = Ok("encode", _cli.PathOf("wide.png"), "-o", _cli.PathOf("none.cmps"), "--metadata", "none");
        Assert.Contains("colour profile that is not sRGB", none.Error);
        Ok("decode", _cli.PathOf("none.cmps"), "-o", _cli.PathOf("none.png"));
        Assert.True(ImageFileMetadata.Read(File.ReadAllBytes(_cli.PathOf("none.png"))).IsEmpty);
        long withAll = new FileInfo(_cli.PathOf("all.cmps")).Length, without = new FileInfo(_cli.PathOf("none.cmps")).Length;
        Assert.Equal(8 + 1 + (3 * 5) + icc.Length + exif.Length + xmp.Length, withAll - without); // the metadata chunk, exactly

        var info = Ok("info", _cli.PathOf("all.cmps"), "--json");
        Assert.Contains("\"valid\": true", info.Out);
    }

    [Fact]
    public void SixteenBitInputGivesOneNotice()
    {
        using (var image = new Image<Rgb48>(40, 40, new Rgb48(1000, 30000, 65000))) image.SaveAsPng(_cli.PathOf("deep.png"), new PngEncoder { BitDepth = PngBitDepth.Bit16 });
        var run = Ok("encode", _cli.PathOf("deep.png"), "-o", _cli.PathOf("deep.cmps"));
        Assert.Equal("compass: warning: " + _cli.PathOf("deep.png") + " has 16 bits per channel; Compass codes 8, so the finer levels are rounded away.", Assert.Single(run.ErrorLines));
    }
}
