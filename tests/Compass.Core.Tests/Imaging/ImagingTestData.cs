using Compass.Imaging;
using Compass.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Tests.Imaging;

/// <summary>Builders shared by the imaging tests: fixtures as images, seeded random images.</summary>
internal static class ImagingTestData
{
    /// <summary>Loads a 1x3xHxW float fixture as a planar image (values as stored).</summary>
    public static PlanarImage LoadPlanarFixture(string path)
    {
        var npy = Npy.Load(path);
        Assert.Equal(4, npy.Shape.Length);
        Assert.Equal(new[] { 1, 3 }, npy.Shape[..2]);
        return new PlanarImage(npy.Shape[3], npy.Shape[2], npy.AsFloat());
    }

    /// <summary>Loads a 1x3xHxW fixture of 8-bit values / 255 as the 8-bit image it came from.</summary>
    public static Image<Rgb24> LoadImageFixture(string path)
    {
        var planar = LoadPlanarFixture(path);
        // Check it really is 8-bit data before trusting the conversion.
        foreach (float v in planar.Data)
            Assert.InRange(Math.Abs(v * 255.0 - Math.Round(v * 255.0)), 0.0, 1e-4);
        return planar.ToImage();
    }

    /// <summary>
    /// A seeded random 8-bit image with some smooth structure and some noise, levels within [8, 248] so
    /// that bicubic overshoot rarely needs clipping.
    /// </summary>
    public static Image<Rgb24> RandomImage(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < height; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (int x = 0; x < width; x++)
                {
                    byte Level(int phase) => (byte)Math.Clamp(
                        128 + 80 * Math.Sin((x + phase) * 0.11) * Math.Cos((y - phase) * 0.07) + random.Next(-40, 41), 0, 255);
                    row[x] = new Rgb24(Level(0), Level(17), Level(39));
                }
            }
        });
        return image;
    }

    /// <summary>The raw interleaved RGB bytes of an image.</summary>
    public static byte[] Bytes(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }
}
