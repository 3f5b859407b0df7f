using System.Text;
using Compass.SkiaSharp;
using Compass.Testing;
using SkiaSharp;

namespace Compass.Imaging.Tests;

public class SkiaImageLoaderTests
{
    [Fact]
    public void LoadsAPngWithTheSamePixelsAsImageSharp()
    {
        var source = TestImages.Random(13, 9, seed: 2);
        byte[] png = TestImages.Png(source);
        var loaded = SkiaImageLoader.LoadPixels(new ForwardOnlyStream(png));
        Assert.Equal((13, 9, PixelLayout.Rgba32), (loaded.Width, loaded.Height, loaded.Layout));
        Assert.Equal(source.Pixels.ToArray(), loaded.ConvertTo(PixelLayout.Rgb24).Pixels.ToArray());
        Assert.Equal(0.0, ImageMetrics.Mse(source, loaded));
    }

    [Fact]
    public void TextEmptyAndTruncatedInputsAreFormatErrors()
    {
        var text = Assert.Throws<CompassFormatException>(() => SkiaImageLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes("hello, not an image"))));
        Assert.StartsWith("not an image", text.Message);
        var empty = Assert.Throws<CompassFormatException>(() => SkiaImageLoader.Load(new MemoryStream()));
        Assert.Contains("empty", empty.Message);

        // Every cut fails, except cuts that lose only the zlib Adler-32 / final CRC bytes after every pixel is in:
        // Skia's libpng then returns the complete image. So: a format error, or exactly the source pixels.
        var source = TestImages.Random(16, 16, seed: 4);
        byte[] png = TestImages.Png(source);
        int decodedCuts = 0;
        for (int length = 1; length < png.Length - 12; length++)
        {
            try
            {
                var pixels = SkiaImageLoader.LoadPixels(new MemoryStream(png[..length]));
                Assert.Equal(0.0, ImageMetrics.Mse(source, pixels));
                Assert.InRange(length, png.Length - 12 - 4 - 10, png.Length - 13); // only within the last few bytes before IEND
                decodedCuts++;
            }
            catch (CompassFormatException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            }
        }
        Assert.InRange(decodedCuts, 0, 10);
    }

    [Fact]
    public void HugeHeaderIsRefusedBeforeDecoding()
    {
        byte[] png = CraftedPng.WithHeader(100_000, 100_000);
        var e = Assert.Throws<CompassFormatException>(() => SkiaImageLoader.Load(new MemoryStream(png)));
        Assert.Equal($"image too large: 100000x100000 exceeds the limit of {ImageInputLimits.DefaultMaxPixels} pixels", e.Message);
        Assert.Equal(CompassFormatErrorKind.LimitExceeded, e.Kind);
    }

    [Fact]
    public void FrameLimitIsCheckedFromTheHeader()
    {
        byte[] gif = TestImages.AnimatedGif(12);
        var e = Assert.Throws<CompassFormatException>(() => SkiaImageLoader.Load(new MemoryStream(gif), new ImageInputLimits { MaxFrames = 11 }));
        Assert.Equal("image has too many frames: 12 exceeds the limit of 11", e.Message);
        Assert.Equal(CompassFormatErrorKind.LimitExceeded, e.Kind);
        using var first = SkiaImageLoader.Load(new MemoryStream(gif), new ImageInputLimits { MaxFrames = 12 });
        Assert.Equal((8, 6), (first.Width, first.Height));
        // The first frame is black.
        Assert.Equal(new SKColor(0, 0, 0, 255), first.GetPixel(3, 2));
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("bmp")]
    [InlineData("gif")]
    public void CorruptedBytesEitherDecodeOrThrowCompassFormatException(string format)
    {
        byte[] original = TestImages.Encode(TestImages.Random(24, 16, seed: 8), format);
        var random = new Random(format.Length + 100);
        var limits = new ImageInputLimits { MaxPixels = 1 << 20 };
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int k = random.Next(1, 4); k > 0; k--)
                bytes[random.Next(Math.Min(bytes.Length, random.Next(2) == 0 ? 64 : bytes.Length))] = (byte)random.Next(256);
            if (random.Next(3) == 0) bytes = bytes[..random.Next(1, bytes.Length)];
            try
            {
                using var bitmap = SkiaImageLoader.Load(new MemoryStream(bytes), limits);
                Assert.InRange((long)bitmap.Width * bitmap.Height, 1, 1 << 20);
            }
            catch (CompassFormatException)
            {
            }
        }
    }
}
