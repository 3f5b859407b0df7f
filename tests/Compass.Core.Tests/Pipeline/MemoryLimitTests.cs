using Compass.Imaging;
using Compass.Pipeline;
using Compass.Testing;

namespace Compass.Tests.Pipeline;

public class MemoryLimitTests
{
    private static readonly LayerPlan Plan = LayerPlan.Parse("129x97,258x194,517x389");

    private static PixelBuffer TestImage()
    {
        var image = new PixelBuffer(517, 389);
        var pixels = image.Pixels;
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(60 + (i % 7 * 20));
        return image;
    }

    [Fact]
    public void EncodeOverTheLimitFailsBeforeWritingAByte()
    {
        var image = TestImage();
        using var model = new FakeModel();
        var encoder = new ScalableEncoder(model);
        var options = new EncodeOptions { Quality = new Quality(2) };
        long estimate = encoder.EstimateMemory(Plan, image.Width, image.Height, options);

        using var output = new MemoryStream();
        var ex = Assert.Throws<CompassFormatException>(() => encoder.Encode(image, Plan, output, options with { MaxMemoryBytes = estimate - 1 }));
        Assert.Equal(CompassFormatErrorKind.LimitExceeded, ex.Kind);
        Assert.Contains("517x389", ex.Message, StringComparison.Ordinal);
        Assert.Contains("EncodeOptions.MaxMemoryBytes", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, output.Length);
        Assert.Equal(0, model.Networks(2).PredictCalls);

        // At the estimate itself the same call runs.
        var result = encoder.Encode(image, Plan, output, options with { MaxMemoryBytes = estimate });
        Assert.Equal(output.Length, result.TotalBytes);
    }

    [Fact]
    public async Task DecodeOverTheLimitFailsWhileFewerLayersFit()
    {
        var image = TestImage();
        using var model = new FakeModel();
        byte[] stream = new ScalableEncoder(model).Encode(image, Plan, new EncodeOptions { Quality = new Quality(2) });
        var decoder = new ScalableDecoder(model);
        var header = await ScalableDecoder.ReadInfoAsync(new MemoryStream(stream));
        long all = decoder.EstimateMemory(header);
        long baseOnly = decoder.EstimateMemory(header, new DecodeOptions { MaxLayers = 1 });
        Assert.True(baseOnly < all, $"base layer {baseOnly} B, all layers {all} B");

        var ex = Assert.Throws<CompassFormatException>(() => decoder.Decode(stream, new DecodeOptions { MaxMemoryBytes = all - 1 }));
        Assert.Contains("DecodeOptions.MaxMemoryBytes", ex.Message, StringComparison.Ordinal);
        using var decoded = decoder.Decode(stream, new DecodeOptions { MaxLayers = 1, MaxMemoryBytes = all - 1 });
        Assert.Single(decoded.Layers);
    }

    [Fact]
    public void TheEstimateGrowsLinearlyOnceTheNetworkRunsAreTiled()
    {
        // Past one tile the network runs stop growing, so every further pixel costs the same: the estimate is affine
        // in the pixels (up to rounding of the layer sizes), as the pipeline's memory is.
        static long Estimate(int w, int h) =>
            WorkingMemory.ForEncode(LayerPlan.FromScales(w, h, 0.25, 0.5, 1), w, h, hiddenChannels: 64, TilingPolicy.Default);
        long e1 = Estimate(4000, 3000), e2 = Estimate(8000, 3000), e4 = Estimate(16000, 3000);
        double step1 = e2 - e1, step2 = (e4 - e2) / 2.0;
        Assert.InRange(step2 / step1, 0.999, 1.001);
        Assert.True(Estimate(6000, 4000) < Estimate(8192, 8192));
    }

    [Fact]
    public void WithoutALimitTheMemoryAvailableToTheProcessApplies()
    {
        long available = WorkingMemory.DefaultLimit;
        WorkingMemory.EnsureWithin(available, limit: null, "Test", "TestOptions.MaxMemoryBytes");
        var ex = Assert.Throws<CompassFormatException>(() => WorkingMemory.EnsureWithin(available + 1, limit: null, "Encoding a test image", "TestOptions.MaxMemoryBytes"));
        Assert.Contains("available to this process", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkingMemory.EnsureWithin(1, limit: 0, "Test", "TestOptions.MaxMemoryBytes"));
    }
}
