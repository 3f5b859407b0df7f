using System.Diagnostics;
using System.Security.Cryptography;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Testing;
using Xunit.Abstractions;

namespace Compass.Tests.Imaging;

public class ResamplerTests(ITestOutputHelper output)
{
    // Layer sizes of the compass3 fixture: scales 0.25, 0.5, 1.0 of the 192x128 original.
    public static TheoryData<int, int, int> Compass3Layers => new() { { 0, 48, 32 }, { 1, 96, 64 }, { 2, 192, 128 } };

    [SkippableTheory]
    [MemberData(nameof(Compass3Layers))]
    public void EightBitPathReproducesPillowOnTheCompass3Layers(int layer, int width, int height)
    {
        string dir = Path.Combine(SharedData.Official, "compass3");
        var original = ImagingTestData.LoadImageFixture(Path.Combine(dir, "original.npy"));
        var expected = ImagingTestData.LoadImageFixture(Path.Combine(dir, $"layer{layer}_input.npy"));

        var actual = Resampler.ResizeBicubic(original, width, height);

        byte[] a = ImagingTestData.Bytes(actual), e = ImagingTestData.Bytes(expected);
        Assert.Equal(e.Length, a.Length);
        int differing = 0, maxDiff = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - e[i]);
            if (d != 0) differing++;
            maxDiff = Math.Max(maxDiff, d);
        }
        output.WriteLine($"layer {layer} {width}x{height}: {differing} of {a.Length} values differ, max {maxDiff} levels");
        Assert.Equal(0, maxDiff);
    }

    [SkippableTheory]
    [MemberData(nameof(Compass3Layers))]
    public void FloatPathStaysWithinHalfALevelOfPillow(int layer, int width, int height)
    {
        string dir = Path.Combine(SharedData.Official, "compass3");
        var original = ImagingTestData.LoadPlanarFixture(Path.Combine(dir, "original.npy"));
        var expected = ImagingTestData.LoadPlanarFixture(Path.Combine(dir, $"layer{layer}_input.npy"));

        var actual = Resampler.ResizeBicubic(original, width, height);

        double sum = 0, max = 0;
        for (int i = 0; i < actual.Data.Length; i++)
        {
            double d = Math.Abs(actual.Data[i] - expected.Data[i]) * 255.0;
            sum += d;
            max = Math.Max(max, d);
        }
        double mean = sum / actual.Data.Length;
        output.WriteLine($"layer {layer} {width}x{height}: float path vs Pillow 8-bit: mean |diff| {mean:F4} levels, max {max:F4} levels");
        Assert.InRange(mean, 0.0, 0.5);
        // Pillow rounds the intermediate image and the output: together at most ~1 level plus overshoot clipping.
        Assert.InRange(max, 0.0, 2.0);
    }

    // SHA-256 of the raw RGB bytes of Pillow 9.4.0's Image.open(f).convert("RGB").resize(size) (default
    // filter BICUBIC) for Kodak images, computed once with Debian bookworm's python3-pil 9.4.0.
    public static TheoryData<string, int, int, string> KodakPillowHashes => new()
    {
        { "kodim01.png", 192, 128, "fdb00a74d50750e8d3b2954eaf0319abe0591ffe961217351962b84a92500b85" },
        { "kodim01.png", 460, 307, "e309d8059ec0e460e99b06f62528d4cdeae9d8cda95e0a6bf7ded1675636c05d" },
        { "kodim01.png", 537, 358, "4d8e00d4079a26f2c658e6def1b9a76492be79794eb369eec711affdcf808cb0" },
        { "kodim01.png", 1000, 700, "ea9d4190e3ad19b1288b0ce0843e7e3ecf013b6d76b272b340d3fff30c87fa90" },
        { "kodim01.png", 123, 456, "589162c6be383be6c9752aeff00f826c77ec49682d84f6140da839fbf262f22c" },
        { "kodim01.png", 768, 300, "827dc8d8a9ddce676cc930da631384cf9da4158e27fa554ad5a811216a0dacf6" },
        { "kodim01.png", 200, 512, "a1ecbdfe84b91272cc53135e84d4bae3f3daad64825d7a1ea734f4ce3756da15" },
        { "kodim01.png", 33, 1, "0d2f7ff546990d63ff2af846b2f68397c9a4d932ca3ab07bdd7d8b8060bd804e" },
        { "kodim23.png", 192, 128, "0480997040d18b2ac61658f0c109f23e108e79701053ebacefd4197fd0ce9c2a" },
        { "kodim23.png", 460, 307, "1dfefbb06de779e546af840623545e212e123be7f0a7bc68ed90faa9c25aac68" },
        { "kodim23.png", 1000, 700, "b837760e853b899fb0a1ecc4ae71f1bd8f77fdaa9fbf2d6ae75c2cc690354573" },
        { "kodim23.png", 123, 456, "02cc8aea18fdf4b24aea371e5dc0ec9b49a8a645ea22b63c349d9561c5cb67df" },
    };

    [SkippableTheory]
    [MemberData(nameof(KodakPillowHashes))]
    public void EightBitPathMatchesPillowOnKodakAtArbitraryScales(string file, int width, int height, string sha256)
    {
        var source = ImageSharpLoader.LoadPixels(Path.Combine(SharedData.Kodak, file));
        var resized = Resampler.ResizeBicubic(source, width, height);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(ImagingTestData.Bytes(resized))));
    }

    [Theory]
    [InlineData(37, 53, 17, 11)]
    [InlineData(64, 96, 21, 96)]
    [InlineData(64, 96, 64, 33)]
    [InlineData(10, 7, 31, 23)]
    [InlineData(5, 5, 1, 1)]
    public void FloatAndEightBitPathsAgreeToAboutHalfALevel(int width, int height, int outWidth, int outHeight)
    {
        var source = ImagingTestData.RandomImage(width, height, seed: width * 1000 + height);
        var bytes = Resampler.ResizeBicubic(source, outWidth, outHeight);
        var floats = Resampler.ResizeBicubic(PlanarImage.FromPixels(source), outWidth, outHeight);
        var fromBytes = PlanarImage.FromPixels(bytes);

        Assert.Equal((outWidth, outHeight), (floats.Width, floats.Height));
        double sum = 0, max = 0;
        for (int i = 0; i < floats.Data.Length; i++)
        {
            // Compare with the float result clipped as the 8-bit path clips.
            double d = Math.Abs(Math.Clamp(floats.Data[i], 0f, 1f) - fromBytes.Data[i]) * 255.0;
            sum += d;
            max = Math.Max(max, d);
        }
        Assert.InRange(sum / floats.Data.Length, 0.0, 0.5);
        Assert.InRange(max, 0.0, 2.0);
    }

    [Fact]
    public void ConstantImageStaysConstantWhenDownscaledAndUpscaled()
    {
        var source = ImagingTestData.Solid(40, 30, 200, 13, 0);
        foreach (var (w, h) in new[] { (13, 7), (40, 11), (9, 30), (97, 61), (1, 1) })
        {
            var resized = Resampler.ResizeBicubic(source, w, h);
            Assert.All(ImagingTestData.Bytes(resized).Chunk(3), p => Assert.Equal(new byte[] { 200, 13, 0 }, p));
            var planar = Resampler.ResizeBicubic(PlanarImage.FromPixels(source), w, h);
            for (int c = 0; c < 3; c++)
                Assert.All(planar.GetPlane(c).ToArray(), v => Assert.Equal(new[] { 200, 13, 0 }[c] / 255f, v, 5e-6f));
        }
    }

    [Fact]
    public void SameSizeIsAnExactCopy()
    {
        var source = ImagingTestData.RandomImage(23, 17, seed: 5);
        var same = Resampler.ResizeBicubic(source, 23, 17);
        Assert.NotSame(source, same);
        Assert.Equal(ImagingTestData.Bytes(source), ImagingTestData.Bytes(same));
        var planar = PlanarImage.FromPixels(source);
        Assert.Equal(planar.Data, Resampler.ResizeBicubic(planar, 23, 17).Data);
    }

    [Fact]
    public void IntegerUpscaleOfALinearRampStaysLinearInTheInterior()
    {
        // The a = -0.5 cubic reproduces linear functions exactly away from the borders.
        var ramp = new PlanarImage(16, 1);
        for (int c = 0; c < 3; c++)
            for (int x = 0; x < 16; x++) ramp[c, 0, x] = x / 16f;
        var up = Resampler.ResizeBicubic(ramp, 64, 1);
        for (int x = 8; x < 56; x++)
        {
            // Output pixel x has its centre at input coordinate (x + 0.5) / 4 - 0.5.
            float expected = ((x + 0.5f) / 4f - 0.5f) / 16f;
            Assert.Equal(expected, up[1, 0, x], 1e-6f);
        }
    }

    [Fact]
    public void UnclampedInputsStayUnclamped()
    {
        var source = new PlanarImage(8, 8);
        Array.Fill(source.Data, 1.5f);
        source[0, 3, 3] = -2f;
        var resized = Resampler.ResizeBicubic(source, 4, 4);
        Assert.Contains(resized.Data, v => v > 1f);
        Assert.Contains(resized.Data, v => v < 1.5f);
    }

    [Fact]
    public void RejectsNonPositiveSizes()
    {
        var source = new PixelBuffer(4, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.ResizeBicubic(source, 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.ResizeBicubic(new PlanarImage(4, 4), 4, -1));
    }

    [Fact]
    public void CoefficientsFollowPillowsBoxBoundsAndNormalisation()
    {
        // 192 -> 48 (scale 4): support 8, 17 taps; output 0 has centre 2, taps [0, 10).
        var c = BicubicCoefficients.Create(192, 48);
        Assert.Equal(17, c.KernelSize);
        Assert.Equal((0, 10), (c.Start[0], c.Count[0]));
        // Output 10: centre 42, xmin = (int)(42 - 8 + 0.5) = 34, xmax = (int)(50.5) = 50.
        Assert.Equal((34, 16), (c.Start[10], c.Count[10]));
        for (int i = 0; i < c.OutSize; i++)
            Assert.Equal(1.0, c.Weights.AsSpan(i * c.KernelSize, c.Count[i]).ToArray().Sum(), 12);
        // Upscaling keeps the 4-tap kernel (support 2), so at most 5 taps.
        var up = BicubicCoefficients.Create(16, 64);
        Assert.Equal(5, up.KernelSize);
        Assert.Equal(1.0, BicubicCoefficients.Cubic(0));
        Assert.Equal(0.0, BicubicCoefficients.Cubic(1));
        Assert.Equal(-0.0625, BicubicCoefficients.Cubic(1.5));
        Assert.Equal(0.0, BicubicCoefficients.Cubic(2));
    }
}
