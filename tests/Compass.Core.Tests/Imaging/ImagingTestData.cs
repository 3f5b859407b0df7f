using Compass.Imaging;
using Compass.Testing;

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
    public static PixelBuffer LoadImageFixture(string path)
    {
        var planar = LoadPlanarFixture(path);
        // Check it really is 8-bit data before trusting the conversion.
        foreach (float v in planar.Data)
            Assert.InRange(Math.Abs(v * 255.0 - Math.Round(v * 255.0)), 0.0, 1e-4);
        return planar.ToPixels();
    }

    /// <summary>
    /// A seeded random 8-bit image with some smooth structure and some noise, levels within [8, 248] so
    /// that bicubic overshoot rarely needs clipping.
    /// </summary>
    public static PixelBuffer RandomImage(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new PixelBuffer(width, height);
        for (int y = 0; y < height; y++)
        {
            var row = image.GetRow(y);
            for (int x = 0; x < width; x++)
            {
                byte Level(int phase) => (byte)Math.Clamp(
                    128 + 80 * Math.Sin((x + phase) * 0.11) * Math.Cos((y - phase) * 0.07) + random.Next(-40, 41), 0, 255);
                row[3 * x] = Level(0);
                row[3 * x + 1] = Level(17);
                row[3 * x + 2] = Level(39);
            }
        }
        return image;
    }

    /// <summary>An RGB image of one colour.</summary>
    public static PixelBuffer Solid(int width, int height, byte r, byte g, byte b)
    {
        var image = new PixelBuffer(width, height);
        Span<byte> p = image.Pixels;
        for (int i = 0; i < p.Length; i += 3) (p[i], p[i + 1], p[i + 2]) = (r, g, b);
        return image;
    }

    /// <summary>Sets one pixel of an RGB image.</summary>
    public static void Set(PixelBuffer image, int x, int y, byte r, byte g, byte b)
    {
        var row = image.GetRow(y);
        (row[3 * x], row[3 * x + 1], row[3 * x + 2]) = (r, g, b);
    }

    /// <summary>A copy of the raw interleaved bytes of an image.</summary>
    public static byte[] Bytes(PixelBuffer image) => image.Pixels.ToArray();
}
