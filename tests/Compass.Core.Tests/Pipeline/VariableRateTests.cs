using Compass.Bitstream;
using Compass.Imaging;
using Compass.Pipeline;
using Compass.Testing;
using Compass.Tests.Imaging;

namespace Compass.Tests.Pipeline;

/// <summary>
/// Continuous quality, per-layer quality and rate control through the whole pipeline, on fake networks (the real
/// networks' version of the anchor test is in Compass.Onnx.Tests).
/// </summary>
public class VariableRateTests
{
    private static readonly LayerPlan Plan = LayerPlan.Parse("128x96,256x192");

    private static PixelBuffer TestImage(int width = 256, int height = 192)
    {
        var image = new PixelBuffer(width, height);
        var rng = new Random(5);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                ImagingTestData.Set(image, x, y, (byte)(128 + 100 * Math.Sin(x / 7.0 + y / 11.0)), (byte)rng.Next(256), (byte)(x * y % 251));
        return image;
    }

    private static (byte[] Bytes, EncodeResult Result) Encode(CompassModel model, EncodeOptions options, PixelBuffer? image = null, LayerPlan? plan = null)
    {
        using var output = new MemoryStream();
        var result = new ScalableEncoder(model).Encode(image ?? TestImage(), plan ?? Plan, output, options);
        Assert.Equal(output.Length, result.TotalBytes);
        return (output.ToArray(), result);
    }

    private static BitstreamHeader ReadHeader(byte[] stream)
    {
        using var reader = new BitstreamReader(new MemoryStream(stream));
        return reader.ReadHeader();
    }

    private static List<LayerPayload> Payloads(byte[] stream)
    {
        using var reader = new BitstreamReader(new MemoryStream(stream));
        reader.ReadHeader();
        var layers = new List<LayerPayload>();
        while (reader.ReadLayer() is { } layer) layers.Add(layer);
        return layers;
    }

    [Fact]
    public void AtAnAnchorWithLogStepZero_TheSymbolsAreTheSingleRateModels()
    {
        using var single = new FakeModel();
        using var variable = new FakeVariableRateModel();
        var (singleBytes, _) = Encode(single, new EncodeOptions { Quality = new Quality(2) });
        var (variableBytes, result) = Encode(variable, new EncodeOptions { Quality = new Quality(2) });

        Assert.All(result.LayerRates, r => Assert.Equal(LayerRate.AtUnitStep(new Quality(2)), r));
        // Same networks, step exactly 1: the same z and y strings, hence the same symbols.
        var a = Payloads(singleBytes);
        var b = Payloads(variableBytes);
        Assert.Equal(a.Count, b.Count);
        for (int k = 0; k < a.Count; k++)
        {
            Assert.Equal(a[k].ZStream.ToArray(), b[k].ZStream.ToArray());
            Assert.Equal(a[k].YStream.ToArray(), b[k].YStream.ToArray());
        }
    }

    [Fact]
    public void AQualityBetweenAnchors_CodesASizeBetweenTheirs_AndDecodesBitExactly()
    {
        using var model = new FakeVariableRateModel();
        long Size(double q) => Encode(model, new EncodeOptions { Quality = new Quality(q) }).Result.TotalBytes;
        long s1 = Size(1), s15 = Size(1.5), s2 = Size(2), s25 = Size(2.5), s3 = Size(3);
        Assert.True(s1 < s15 && s15 < s2 && s2 < s25 && s25 < s3, $"sizes {s1} {s15} {s2} {s25} {s3}");

        var (bytes, result) = Encode(model, new EncodeOptions { LayerQualities = [new Quality(1.5), new Quality(2.75)], KeepReconstructions = true });
        Assert.Equal([new Quality(1.5), new Quality(2.75)], result.LayerRates.Select(r => r.Quality));
        // Base step at 1.5: exp((ln 4 + 0) / 2) = 2 exactly in Q16 after rounding; the residual at 2.75 interpolates ln 0.3.
        Assert.Equal(2 * 65536, result.LayerRates[0].StepQ16);
        Assert.Equal((int)Math.Round(Math.Exp(0.75 * Math.Log(0.3)) * 65536, MidpointRounding.AwayFromZero), result.LayerRates[1].StepQ16);

        var header = ReadHeader(bytes);
        Assert.Equal(2, header.Version);
        Assert.Equal(result.LayerRates, header.LayerRates);
        using var decoded = new ScalableDecoder(model).Decode(bytes);
        for (int k = 0; k < Plan.Count; k++)
            Assert.Equal(result.Reconstructions![k].Data, decoded.Layers[k].Reconstruction.Data);
    }

    [Fact]
    public void QualityOutsideTheRange_OrMixedOnASingleRateSet_IsRefused()
    {
        using var variable = new FakeVariableRateModel();
        using var single = new FakeModel();
        Assert.Contains("1 to 3 (any multiple of 1/256)", Assert.Throws<ArgumentException>(() => Encode(variable, new EncodeOptions { Quality = new Quality(3.5) })).Message);
        Assert.Contains("available: 1, 2", Assert.Throws<ArgumentException>(() => Encode(single, new EncodeOptions { Quality = new Quality(1.5) })).Message);
        Assert.Contains("one quality", Assert.Throws<ArgumentException>(() => Encode(single, new EncodeOptions { LayerQualities = [new Quality(1), new Quality(2)] })).Message);
        Assert.Contains("one per layer", Assert.Throws<ArgumentException>(() => Encode(variable, new EncodeOptions { LayerQualities = [new Quality(1)] })).Message);
        Assert.Contains("at most one", Assert.Throws<ArgumentException>(() => Encode(variable, new EncodeOptions { Quality = new Quality(2), TargetBytes = 1000 })).Message);
        Assert.Throws<ArgumentException>(() => Encode(variable, new EncodeOptions { LayerByteBudgets = [2000, 1000] }));
        Assert.Throws<ArgumentException>(() => Encode(variable, new EncodeOptions { TargetBitsPerPixel = -1 }));

        // A stream at 2.5 cannot be decoded by a model without that quality: a model mismatch, not garbage.
        var (bytes, _) = Encode(variable, new EncodeOptions { Quality = new Quality(2.5) });
        var ex = Assert.Throws<CompassFormatException>(() => new ScalableDecoder(single).Decode(bytes));
        Assert.Equal(CompassFormatErrorKind.ModelMismatch, ex.Kind);
    }

    [Theory]
    [InlineData(0.35)]
    [InlineData(0.6)]
    [InlineData(0.85)]
    public void TargetBytes_NeverOver_AndWithinThreePercentUnder(double fraction)
    {
        using var model = new FakeVariableRateModel();
        long min = Encode(model, new EncodeOptions { Quality = new Quality(1) }).Result.TotalBytes;
        long max = Encode(model, new EncodeOptions { Quality = new Quality(3) }).Result.TotalBytes;
        long target = min + (long)((max - min) * fraction);

        var (bytes, result) = Encode(model, new EncodeOptions { TargetBytes = target });
        Assert.InRange(bytes.Length, (long)Math.Ceiling(0.97 * target), target);
        Assert.Equal(bytes.Length, result.TotalBytes);
        Assert.All(result.LayerRates, r => Assert.Equal(result.Quality, r.Quality)); // one quality for the stream
        Assert.Equal(ReadHeader(bytes).LayerRates, result.LayerRates);
        Assert.Equal(2, new ScalableDecoder(model).Decode(bytes).Layers.Count);

        // The same target as bits per pixel of the last layer.
        double bpp = target * 8.0 / Plan.Final.Pixels;
        var (bppBytes, _) = Encode(model, new EncodeOptions { TargetBitsPerPixel = bpp });
        Assert.InRange(bppBytes.Length, (long)Math.Ceiling(0.97 * target), target);
    }

    [Fact]
    public void LayerBudgets_AreMetLayerByLayer()
    {
        using var model = new FakeVariableRateModel();
        var low = Encode(model, new EncodeOptions { Quality = new Quality(1) }).Result;
        var high = Encode(model, new EncodeOptions { Quality = new Quality(3) }).Result;
        long b0 = (low.Layers[0].AccumulatedBytes + high.Layers[0].AccumulatedBytes) / 2;
        long b1 = b0 + ((high.Layers[1].AccumulatedBytes - high.Layers[0].AccumulatedBytes) * 2 / 3);

        var (bytes, result) = Encode(model, new EncodeOptions { LayerByteBudgets = [b0, b1] });
        Assert.InRange(result.Layers[0].AccumulatedBytes, (long)Math.Ceiling(0.97 * b0), b0);
        Assert.InRange(result.Layers[1].AccumulatedBytes, (long)Math.Ceiling(0.97 * b1), b1);
        Assert.NotEqual(result.LayerRates[0].Quality, result.LayerRates[1].Quality);
        Assert.Equal(bytes.Length, result.Layers[1].AccumulatedBytes);
        Assert.Equal(2, new ScalableDecoder(model).Decode(bytes).Layers.Count);
    }

    [Fact]
    public void ABudgetBelowTheLowestQuality_NamesTheSmallestAchievableSize()
    {
        using var model = new FakeVariableRateModel();
        long smallest = Encode(model, new EncodeOptions { Quality = new Quality(1) }).Result.TotalBytes;
        var ex = Assert.Throws<CompassFormatException>(() => Encode(model, new EncodeOptions { TargetBytes = smallest - 1 }));
        Assert.Equal(CompassFormatErrorKind.LimitExceeded, ex.Kind);
        Assert.Contains($"smallest achievable size is {smallest} bytes", ex.Message);

        // Exactly the smallest size fits (never over, and the range allows no more).
        Assert.Equal(smallest, Encode(model, new EncodeOptions { TargetBytes = smallest }).Result.TotalBytes);
    }

    [Fact]
    public void ASingleRateSet_PicksItsHighestLevelUnderTheTarget()
    {
        using var model = new FakeModel();
        long q1 = Encode(model, new EncodeOptions { Quality = new Quality(1) }).Result.TotalBytes;
        long q2 = Encode(model, new EncodeOptions { Quality = new Quality(2) }).Result.TotalBytes;
        var (small, large) = (Math.Min(q1, q2), Math.Max(q1, q2));
        var result = Encode(model, new EncodeOptions { TargetBytes = large }).Result;
        Assert.Equal(large, result.TotalBytes);
        Assert.Equal(q2 <= large ? new Quality(2) : new Quality(1), result.Quality); // the highest level that fits
        if (small < large) Assert.Equal(small, Encode(model, new EncodeOptions { TargetBytes = large - 1 }).Result.TotalBytes);
        var ex = Assert.Throws<CompassFormatException>(() => Encode(model, new EncodeOptions { TargetBytes = small - 1 }));
        Assert.Equal(CompassFormatErrorKind.LimitExceeded, ex.Kind);
        Assert.Contains($"smallest achievable size is {small} bytes", ex.Message);
    }

    [Fact]
    public void TheSearch_FindsTheHighestFittingCandidate_ForAMonotoneLoad()
    {
        for (int threshold = 0; threshold <= 100; threshold += 7)
        {
            int probes = 0;
            int t = threshold;
            // load(c) = (c + 1) / (t + 1): c fits iff c <= t.
            int found = LayerEncoding.Search(0, 100, continuous: false, c => { probes++; return ((c + 1.0) / (t + 1.0), c); },
                _ => new InvalidOperationException("lo does not fit"));
            Assert.Equal(Math.Min(t, 100), found);
            Assert.True(probes <= 16, $"{probes} probes");
        }
        Assert.Throws<InvalidOperationException>(() => LayerEncoding.Search(5, 9, true, c => (2.0, c), _ => new InvalidOperationException()));
    }
}
