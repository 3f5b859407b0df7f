using Compass.Imaging;
using Compass.Testing;

namespace Compass.Tests.Imaging;

public class PlanarImageTests
{
    [Fact]
    public void EveryLevelRoundTripsThroughFloat()
    {
        var image = new PixelBuffer(256, 1);
        for (int x = 0; x < 256; x++) ImagingTestData.Set(image, x, 0, (byte)x, (byte)(255 - x), (byte)(x * 7));
        var planar = PlanarImage.FromPixels(image);
        for (int x = 0; x < 256; x++)
        {
            Assert.Equal(x / 255f, planar[0, 0, x]);
            Assert.Equal((255 - x) / 255f, planar[1, 0, x]);
        }
        var back = planar.ToPixels();
        Assert.Equal(ImagingTestData.Bytes(image), ImagingTestData.Bytes(back));
    }

    [Fact]
    public void LayoutIsChannelThenRowThenColumn()
    {
        var image = new PixelBuffer(3, 2);
        ImagingTestData.Set(image, 2, 1, 10, 20, 30);
        var planar = PlanarImage.FromPixels(image);
        Assert.Equal(18, planar.Data.Length);
        Assert.Equal(10 / 255f, planar.Data[0 * 6 + 1 * 3 + 2]);
        Assert.Equal(20 / 255f, planar.Data[1 * 6 + 1 * 3 + 2]);
        Assert.Equal(30 / 255f, planar.Data[2 * 6 + 1 * 3 + 2]);
        Assert.Equal(30 / 255f, planar.GetRow(2, 1)[2]);
        Assert.Equal(6, planar.GetPlane(1).Length);
    }

    [Theory]
    [InlineData(-0.3f, 0)]
    [InlineData(float.NaN, 0)]
    [InlineData(float.NegativeInfinity, 0)]
    [InlineData(1.7f, 255)]
    [InlineData(float.PositiveInfinity, 255)]
    [InlineData(0.5f, 128)] // 127.5 rounds half away from zero
    [InlineData(0.0019607844f, 1)] // 0.5 / 255 -> 0.5 level -> 1
    [InlineData(0.0019f, 0)]
    [InlineData(0.99999f, 255)]
    public void QuantizeClampsAndRoundsHalfAwayFromZero(float value, byte expected) =>
        Assert.Equal(expected, PlanarImage.Quantize(value));

    [Fact]
    public void ToImageClampsUnclampedValues()
    {
        var planar = new PlanarImage(2, 1, [-0.5f, 0.25f, 1.25f, 0.5f, 0f, 1f]);
        var image = planar.ToPixels();
        Assert.Equal(new byte[] { 0, 255, 0, 64, 128, 255 }, image.Pixels.ToArray());
        // The 4-byte layouts put the channels where they belong and are opaque.
        Assert.Equal(new byte[] { 0, 255, 0, 255, 64, 128, 255, 255 }, planar.ToPixels(PixelLayout.Rgba32).Pixels.ToArray());
        Assert.Equal(new byte[] { 0, 255, 0, 255, 255, 128, 64, 255 }, planar.ToPixels(PixelLayout.Bgra32).Pixels.ToArray());
    }

    [Fact]
    public void FromFourByteLayoutsReadsRgbAndDropsAlpha()
    {
        var rgba = new PixelBuffer(2, 2, PixelLayout.Rgba32, [10, 20, 30, 0, 10, 20, 30, 0, 10, 20, 30, 0, 10, 20, 30, 7]);
        var planar = PlanarImage.FromPixels(rgba);
        Assert.Equal(10 / 255f, planar[0, 1, 1]);
        Assert.Equal(30 / 255f, planar[2, 0, 0]);
        var bgra = new PixelBuffer(1, 1, PixelLayout.Bgra32, [30, 20, 10, 0]);
        Assert.Equal(new[] { 10 / 255f, 20 / 255f, 30 / 255f }, PlanarImage.FromPixels(bgra).Data);
    }

    [SkippableFact]
    public void FixtureValuesAreExactlyLevelsOver255()
    {
        // The fixtures were made with torchvision's ToTensor (level / 255 in float32); ours must be identical.
        var original = ImagingTestData.LoadPlanarFixture(Path.Combine(SharedData.Official, "compass3", "original.npy"));
        var image = original.ToPixels();
        Assert.Equal(original.Data, PlanarImage.FromPixels(image).Data);
    }

    [Fact]
    public void ConstructorsValidate()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlanarImage(0, 3));
        Assert.Throws<ArgumentException>(() => new PlanarImage(2, 2, new float[11]));
        var image = new PlanarImage(2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => image[3, 0, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => image[0, 2, 0]);
        var clone = image.Clone();
        clone[0, 0, 0] = 1f;
        Assert.Equal(0f, image[0, 0, 0]);
    }
}
