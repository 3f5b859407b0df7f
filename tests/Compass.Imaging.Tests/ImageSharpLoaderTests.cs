using System.Text;
using Compass.ImageSharp;
using Compass.Testing;

namespace Compass.Imaging.Tests;

public class ImageSharpLoaderTests
{
    [Fact]
    public void LoadsAPngAsRgb()
    {
        var source = TestImages.Random(13, 9, seed: 2);
        var loaded = ImageSharpLoader.LoadPixels(new MemoryStream(TestImages.Png(source)));
        Assert.Equal((13, 9, PixelLayout.Rgb24), (loaded.Width, loaded.Height, loaded.Layout));
        Assert.Equal(source.Pixels.ToArray(), loaded.Pixels.ToArray());
    }

    [Fact]
    public void LoadsFromTheCurrentPositionOfANonSeekableStream()
    {
        var source = TestImages.Random(5, 4, seed: 3);
        byte[] png = TestImages.Png(source);
        Assert.Equal(source.Pixels.ToArray(), ImageSharpLoader.LoadPixels(new ForwardOnlyStream(png)).Pixels.ToArray());

        var prefixed = new MemoryStream([.. new byte[7], .. png]) { Position = 7 };
        Assert.Equal(source.Pixels.ToArray(), ImageSharpLoader.LoadPixels(prefixed).Pixels.ToArray());
    }

    [Fact]
    public void TextIsNotAnImageAndTheFileIsNamed()
    {
        var e = Assert.Throws<CompassFormatException>(() =>
            ImageSharpLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes("hello, this is a text file\n"))));
        Assert.StartsWith("not an image", e.Message);

        string path = Path.Combine(Path.GetTempPath(), $"compass-{Guid.NewGuid():N}.png");
        File.WriteAllText(path, "definitely not a PNG");
        try
        {
            var named = Assert.Throws<CompassFormatException>(() => ImageSharpLoader.Load(path));
            Assert.Contains(path, named.Message);
            Assert.Contains("not an image", named.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void EmptyStreamIsNotAnImage()
    {
        var e = Assert.Throws<CompassFormatException>(() => ImageSharpLoader.Load(new MemoryStream()));
        Assert.Contains("empty", e.Message);
        Assert.Throws<CompassFormatException>(() => ImageSharpLoader.Load(new ForwardOnlyStream([])));
    }

    [Fact]
    public void TruncatedPngIsRejectedAtEveryLength()
    {
        byte[] png = TestImages.Png(TestImages.Random(16, 16, seed: 4));
        // Every cut from inside the signature to just before the IEND chunk, including mid-IDAT.
        for (int length = 1; length < png.Length - 12; length++)
        {
            var e = Assert.Throws<CompassFormatException>(() => ImageSharpLoader.Load(new MemoryStream(png[..length])));
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }

    [Fact]
    public void TruncatedJpegIsRejected()
    {
        byte[] bytes = TestImages.Encode(TestImages.Random(32, 24, seed: 6), "jpeg");
        foreach (int length in new[] { 1, 2, 3, 10, 100, bytes.Length / 4 })
            Assert.Throws<CompassFormatException>(() => ImageSharpLoader.Load(new MemoryStream(bytes[..length])));
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("bmp")]
    [InlineData("gif")]
    public void CorruptedBytesEitherDecodeOrThrowCompassFormatException(string format)
    {
        byte[] original = TestImages.Encode(TestImages.Random(24, 16, seed: 8), format);
        var random = new Random(format.Length);
        var limits = new ImageInputLimits { MaxPixels = 1 << 20 };
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            // Corrupt a few bytes, biased to the headers, and sometimes truncate.
            for (int k = random.Next(1, 4); k > 0; k--)
                bytes[random.Next(Math.Min(bytes.Length, random.Next(2) == 0 ? 64 : bytes.Length))] = (byte)random.Next(256);
            if (random.Next(3) == 0) bytes = bytes[..random.Next(1, bytes.Length)];
            try
            {
                using var image = ImageSharpLoader.Load(new MemoryStream(bytes), limits);
                Assert.InRange((long)image.Width * image.Height, 1, 1 << 20);
            }
            catch (CompassFormatException)
            {
            }
        }
    }

    [Fact]
    public void HugePngHeaderIsRefusedBeforeDecoding()
    {
        byte[] png = CraftedPng.WithHeader(100_000, 100_000);
        var e = Assert.Throws<CompassFormatException>(() => ImageSharpLoader.Load(new MemoryStream(png)));
        Assert.Equal($"image too large: 100000x100000 exceeds the limit of {ImageInputLimits.DefaultMaxPixels} pixels", e.Message);
        Assert.Equal(CompassFormatErrorKind.LimitExceeded, e.Kind);
    }

    [Fact]
    public void PixelLimitIsConfigurable()
    {
        byte[] png = TestImages.Png(TestImages.Random(20, 10, seed: 7));
        Assert.Throws<CompassFormatException>(() => ImageSharpLoader.Load(new MemoryStream(png), new ImageInputLimits { MaxPixels = 199 }));
        using var ok = ImageSharpLoader.Load(new MemoryStream(png), new ImageInputLimits { MaxPixels = 200 });
        Assert.Equal(20, ok.Width);
    }

    [Fact]
    public void ZeroSizePngIsRejected()
    {
        var e = Assert.Throws<CompassFormatException>(() => ImageSharpLoader.Load(new MemoryStream(CraftedPng.WithHeader(0, 5))));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Fact]
    public void AnAnimatedGifDecodesOnlyItsFirstFrame()
    {
        using var image = ImageSharpLoader.Load(new MemoryStream(TestImages.AnimatedGif(30)));
        Assert.Equal(1, image.Frames.Count);
        Assert.Equal((8, 6), (image.Width, image.Height));
    }
}
