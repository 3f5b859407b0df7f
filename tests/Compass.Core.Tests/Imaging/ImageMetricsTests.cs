using Compass.Imaging;

namespace Compass.Tests.Imaging;

public class ImageMetricsTests
{
    [Fact]
    public void IdenticalImagesHaveInfinitePsnr()
    {
        var image = ImagingTestData.RandomImage(9, 7, seed: 1);
        var planar = PlanarImage.FromPixels(image);
        Assert.Equal(0.0, ImageMetrics.Mse(planar, planar.Clone()));
        Assert.Equal(double.PositiveInfinity, ImageMetrics.Psnr(planar, planar.Clone()));
        Assert.Equal(double.PositiveInfinity, ImageMetrics.Psnr(image, image.Clone()));
        Assert.Equal(double.PositiveInfinity, ImageMetrics.PsnrUnquantized(planar, planar));
    }

    [Fact]
    public void OneValueOffByTenGivesTheTextbookNumbers()
    {
        var a = ImagingTestData.Solid(2, 2, 100, 100, 100);
        var b = a.Clone();
        ImagingTestData.Set(b, 1, 1, 100, 110, 100);
        double mse = 100.0 / 12.0;
        Assert.Equal(mse, ImageMetrics.Mse(a, b), 12);
        Assert.Equal(10 * Math.Log10(255.0 * 255.0 / mse), ImageMetrics.Psnr(a, b), 12);
        Assert.Equal(ImageMetrics.Psnr(a, b), ImageMetrics.Psnr(PlanarImage.FromPixels(a), PlanarImage.FromPixels(b)), 12);
    }

    [Fact]
    public void PsnrMeasuresTheQuantisedClampedImages()
    {
        var truth = new PlanarImage(1, 1, [0f, 0.5f, 1f]);
        // Sub-level noise and out-of-range values vanish after clamping and rounding.
        var recon = new PlanarImage(1, 1, [-0.4f, 0.5f + 0.1f / 255f, 1.3f]);
        Assert.Equal(double.PositiveInfinity, ImageMetrics.Psnr(recon, truth));
        // The unquantised variant still sees the sub-level difference (but not the clamped ones).
        double expected = 10 * Math.Log10(1.0 / (Math.Pow(0.1f / 255f, 2) / 3));
        Assert.Equal(expected, ImageMetrics.PsnrUnquantized(recon, truth), 2);
    }

    [Fact]
    public void SizeMismatchThrows()
    {
        Assert.Throws<ArgumentException>(() => ImageMetrics.Psnr(new PlanarImage(2, 3), new PlanarImage(3, 2)));
    }
}
