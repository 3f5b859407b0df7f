using Compass.Imaging;
using Compass.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Tests.Imaging;

public class PlanarImageTests
{
    [Fact]
    public void EveryLevelRoundTripsThroughFloat()
    {
        using var image = new Image<Rgb24>(256, 1);
        for (int x = 0; x < 256; x++) image[x, 0] = new Rgb24((byte)x, (byte)(255 - x), (byte)(x * 7));
        var planar = PlanarImage.FromImage(image);
        for (int x = 0; x < 256; x++)
        {
            Assert.Equal(x / 255f, planar[0, 0, x]);
            Assert.Equal((255 - x) / 255f, planar[1, 0, x]);
        }
        using var back = planar.ToImage();
        Assert.Equal(ImagingTestData.Bytes(image), ImagingTestData.Bytes(back));
    }

    [Fact]
    public void LayoutIsChannelThenRowThenColumn()
    {
        using var image = new Image<Rgb24>(3, 2);
        image[2, 1] = new Rgb24(10, 20, 30);
        var planar = PlanarImage.FromImage(image);
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
        using var image = planar.ToImage();
        Assert.Equal(new Rgb24(0, 255, 0), image[0, 0]);
        Assert.Equal(new Rgb24(64, 128, 255), image[1, 0]);
    }

    [Fact]
    public void FromAnyImageConvertsToRgbDroppingAlpha()
    {
        using var rgba = new Image<Rgba32>(2, 2, new Rgba32(10, 20, 30, 0));
        var planar = PlanarImage.FromImage((Image)rgba);
        Assert.Equal(10 / 255f, planar[0, 1, 1]);
        Assert.Equal(30 / 255f, planar[2, 0, 0]);
        using var gray = new Image<L8>(1, 1, new L8(77));
        var fromGray = PlanarImage.FromImage((Image)gray);
        Assert.Equal(new[] { 77 / 255f, 77 / 255f, 77 / 255f }, fromGray.Data);
    }

    [SkippableFact]
    public void FixtureValuesAreExactlyLevelsOver255()
    {
        // The fixtures were made with torchvision's ToTensor (level / 255 in float32); ours must be identical.
        var original = ImagingTestData.LoadPlanarFixture(Path.Combine(SharedData.Official, "compass3", "original.npy"));
        using var image = original.ToImage();
        Assert.Equal(original.Data, PlanarImage.FromImage(image).Data);
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
