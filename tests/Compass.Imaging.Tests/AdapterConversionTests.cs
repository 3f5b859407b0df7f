using Compass.ImageSharp;
using Compass.Onnx;
using Compass.SkiaSharp;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace Compass.Imaging.Tests;

public class AdapterConversionTests
{
    [Fact]
    public void ImageSharpKeepsFourByteLayoutsAndConvertsOtherPixelTypes()
    {
        using var rgba = new Image<Rgba32>(2, 1, new Rgba32(10, 20, 30, 40));
        var fromRgba = rgba.ToPixelBuffer();
        Assert.Equal(PixelLayout.Rgba32, fromRgba.Layout);
        Assert.Equal(new byte[] { 10, 20, 30, 40, 10, 20, 30, 40 }, fromRgba.Pixels.ToArray());

        using var bgra = new Image<Bgra32>(1, 1, new Bgra32(10, 20, 30, 40));
        var fromBgra = bgra.ToPixelBuffer();
        Assert.Equal(PixelLayout.Bgra32, fromBgra.Layout);
        Assert.Equal(new byte[] { 30, 20, 10, 40 }, fromBgra.Pixels.ToArray());

        using var gray = new Image<L8>(1, 1, new L8(77));
        var fromGray = gray.ToPixelBuffer();
        Assert.Equal(PixelLayout.Rgb24, fromGray.Layout);
        Assert.Equal(new byte[] { 77, 77, 77 }, fromGray.Pixels.ToArray());
    }

    [Fact]
    public void ImageSharpRoundTripIsExact()
    {
        var source = TestImages.Random(11, 7, seed: 1);
        using var image = source.ToImage();
        Assert.Equal(source.Pixels.ToArray(), image.ToPixelBuffer().Pixels.ToArray());
        Assert.Equal(PlanarImage.FromPixels(source).Data, image.ToPlanarImage().Data);
    }

    [Fact]
    public void SkiaRoundTripIsExactAndOpaque()
    {
        var source = TestImages.Random(11, 7, seed: 2);
        using var bitmap = source.ToSKBitmap();
        Assert.Equal((SKColorType.Rgba8888, SKAlphaType.Opaque), (bitmap.ColorType, bitmap.AlphaType));
        var back = bitmap.ToPixelBuffer();
        Assert.Equal(source.Pixels.ToArray(), back.ConvertTo(PixelLayout.Rgb24).Pixels.ToArray());
        Assert.All(back.Pixels.ToArray().Where((_, i) => i % 4 == 3), a => Assert.Equal(255, a));

        using var image = SKImage.FromBitmap(bitmap);
        Assert.Equal(0.0, ImageMetrics.Mse(source, image.ToPixelBuffer()));
    }

    [Fact]
    public void SkiaConvertsOtherColorTypes()
    {
        using var bgra = new SKBitmap(new SKImageInfo(2, 2, SKColorType.Bgra8888, SKAlphaType.Opaque));
        bgra.Erase(new SKColor(10, 20, 30));
        var fromBgra = bgra.ToPixelBuffer();
        Assert.Equal(PixelLayout.Bgra32, fromBgra.Layout);
        Assert.Equal(new byte[] { 10, 20, 30 }, fromBgra.ConvertTo(PixelLayout.Rgb24).GetRow(1)[3..6].ToArray());

        using var gray = new SKBitmap(new SKImageInfo(1, 1, SKColorType.Gray8, SKAlphaType.Opaque));
        gray.Erase(new SKColor(77, 77, 77));
        var fromGray = gray.ToPixelBuffer();
        Assert.Equal(PixelLayout.Rgba32, fromGray.Layout);
        Assert.Equal(new byte[] { 77, 77, 77, 255 }, fromGray.Pixels.ToArray());
    }

    [Fact]
    public void EmptyBitmapIsRefused()
    {
        using var empty = new SKBitmap();
        Assert.Throws<ArgumentException>(() => empty.ToPixelBuffer());
    }

    [SkippableFact]
    public void BothAdaptersGiveTheEncoderTheSamePixelsAndTheSameStream()
    {
        using (var model = DefaultModel())
        {
            byte[] png = TestImages.Png(TestImages.Random(48, 32, seed: 5));
            using var image = ImageSharpLoader.Load(new MemoryStream(png));
            using var bitmap = SkiaImageLoader.Load(new MemoryStream(png));
            var plan = LayerPlan.FromScales(48, 32, 0.5, 1);
            var encoder = new ScalableEncoder(model);
            byte[] viaImageSharp = encoder.Encode(image, plan);
            byte[] viaSkia = encoder.Encode(bitmap, plan);
            Assert.Equal(viaImageSharp, viaSkia);

            using var decoded = new ScalableDecoder(model).Decode(viaSkia);
            using var asImage = decoded.Layers[1].ToImage();
            using var asBitmap = decoded.Layers[1].ToSKBitmap();
            Assert.Equal(0.0, ImageMetrics.Mse(asImage.ToPixelBuffer(), asBitmap.ToPixelBuffer()));
            Assert.Equal(0.0, ImageMetrics.Mse(decoded.Layers[1].Pixels, asBitmap.ToPixelBuffer()));
        }
    }

    [SkippableFact]
    public void SaveAsPngKeepsTheAlphaOfTheStream()
    {
        using (var model = DefaultModel())
        {
            var rgba = new PixelBuffer(48, 32, PixelLayout.Rgba32);
            var pixels = rgba.Pixels;
            for (int i = 0; i < 48 * 32; i++)
            {
                pixels[4 * i] = (byte)(i * 7);
                pixels[4 * i + 1] = (byte)(i * 3);
                pixels[4 * i + 2] = (byte)(255 - i);
                pixels[4 * i + 3] = (byte)(i % 48 * 5); // a horizontal ramp of transparency
            }

            byte[] stream = new ScalableEncoder(model).Encode(rgba, LayerPlan.Parse("48x32"));
            using var decoded = new ScalableDecoder(model).Decode(stream);
            Assert.True(decoded.Layers[0].HasAlpha);
            string path = Path.Combine(Path.GetTempPath(), $"compass-alpha-{Guid.NewGuid():N}.png");
            try
            {
                decoded.Layers[0].SaveAsPng(path);
                using var saved = Image.Load<Rgba32>(path);
                // Alpha is coded losslessly, so the file's alpha is the input's exactly.
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 48; x++)
                        Assert.Equal(pixels[4 * (y * 48 + x) + 3], saved[x, y].A);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    // The embedded default model on the CPU; a build without one skips the test.
    private static OnnxCompassModel DefaultModel()
    {
        try
        {
            return OnnxCompassModel.LoadDefault(new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        }
        catch (InvalidOperationException e)
        {
            throw new SkipException($"no default model embedded: {e.Message}");
        }
    }
}
