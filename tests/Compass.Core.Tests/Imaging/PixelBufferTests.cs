using Compass.Imaging;

namespace Compass.Tests.Imaging;

public class PixelBufferTests
{
    [Fact]
    public void ConstructorsValidateSizesLayoutAndLength()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PixelBuffer(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PixelBuffer(3, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PixelBuffer(3, 3, (PixelLayout)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PixelBuffer(1 << 16, 1 << 16, PixelLayout.Rgba32));
        var e = Assert.Throws<ArgumentException>(() => new PixelBuffer(2, 2, PixelLayout.Rgba32, new byte[12]));
        Assert.Contains("16 bytes", e.Message);
        Assert.Throws<ArgumentNullException>(() => new PixelBuffer(2, 2, PixelLayout.Rgb24, null!));
    }

    [Fact]
    public void WrapsWithoutCopyingAndExposesRows()
    {
        byte[] data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var buffer = new PixelBuffer(2, 2, PixelLayout.Rgb24, data);
        Assert.Equal((3, 6), (buffer.BytesPerPixel, buffer.RowBytes));
        Assert.Equal(new byte[] { 7, 8, 9, 10, 11, 12 }, buffer.GetRow(1).ToArray());
        buffer.GetRow(0)[0] = 99;
        Assert.Equal(99, data[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.GetRow(2));
        var clone = buffer.Clone();
        clone.Pixels[1] = 42;
        Assert.Equal(2, data[1]);
    }

    [Fact]
    public void ConvertToMovesChannelsAndHandlesAlpha()
    {
        var rgb = new PixelBuffer(1, 1, PixelLayout.Rgb24, [10, 20, 30]);
        Assert.Same(rgb, rgb.ConvertTo(PixelLayout.Rgb24));
        Assert.Equal(new byte[] { 10, 20, 30, 255 }, rgb.ConvertTo(PixelLayout.Rgba32).Pixels.ToArray());
        Assert.Equal(new byte[] { 30, 20, 10, 255 }, rgb.ConvertTo(PixelLayout.Bgra32).Pixels.ToArray());
        var bgra = new PixelBuffer(1, 1, PixelLayout.Bgra32, [30, 20, 10, 7]);
        Assert.Equal(new byte[] { 10, 20, 30, 7 }, bgra.ConvertTo(PixelLayout.Rgba32).Pixels.ToArray());
        Assert.Equal(new byte[] { 10, 20, 30 }, bgra.ConvertTo(PixelLayout.Rgb24).Pixels.ToArray());
    }

    [Fact]
    public void EncoderLayerImagesAreTheSameForEveryLayout()
    {
        var rgb = ImagingTestData.RandomImage(47, 39, seed: 11);
        var plan = LayerPlan.Parse("17x16,47x39");
        var fromRgb = ScalableEncoder.CreateLayerImages(rgb, plan);
        foreach (var layout in new[] { PixelLayout.Rgba32, PixelLayout.Bgra32 })
        {
            var other = ScalableEncoder.CreateLayerImages(rgb.ConvertTo(layout), plan);
            for (int k = 0; k < plan.Count; k++)
                Assert.Equal(fromRgb[k].Pixels.ToArray(), other[k].Pixels.ToArray());
        }
        // The full-size layer is a new RGB copy, never the caller's buffer.
        Assert.NotSame(rgb, fromRgb[1]);
        Assert.Equal(rgb.Pixels.ToArray(), fromRgb[1].Pixels.ToArray());
    }

    [Fact]
    public void InputLimitsNameTheProblem()
    {
        var limits = new ImageInputLimits { MaxPixels = 100, MaxFrames = 3 };
        limits.Check(10, 10, 3);
        Assert.Equal("image too large: 11x10 exceeds the limit of 100 pixels", Assert.Throws<CompassFormatException>(() => limits.Check(11, 10, 1)).Message);
        Assert.Equal("image has too many frames: 4 exceeds the limit of 3", Assert.Throws<CompassFormatException>(() => limits.Check(1, 1, 4)).Message);
        Assert.Equal("image has zero size: 0x5", Assert.Throws<CompassFormatException>(() => limits.Check(0, 5, 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageInputLimits { MaxPixels = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageInputLimits { MaxFrames = 0 });
        Assert.Equal(ImageInputLimits.DefaultMaxPixels, ImageInputLimits.Default.MaxPixels);
    }
}
