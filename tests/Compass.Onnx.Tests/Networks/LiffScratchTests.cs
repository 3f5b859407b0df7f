using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Pipeline;

namespace Compass.Onnx.Tests.Networks;

/// <summary>
/// The LIFF feature buffers (native memory kept between predictions): reused across calls, freed after a multi-tile
/// prediction and on <see cref="ICompassNetworks.ReleaseScratch"/>, and never shared by two predictions at once. Reuse
/// must not change a prediction: the comparisons are exact (the same graph on the same input writes the same floats).
/// </summary>
public class LiffScratchTests(DefaultModelFixture fixture) : IClassFixture<DefaultModelFixture>
{
    [SkippableFact]
    public void SingleTilePrediction_KeepsItsBuffers_UntilReleased_AndReuseChangesNothing()
    {
        var networks = fixture.Networks;
        var onnx = Assert.IsType<OnnxCompassNetworks>(networks);
        var previous = Source(61, 45, seed: 1);
        networks.ReleaseScratch();
        Assert.Equal(0, onnx.CachedScratchFloats);

        var first = networks.Predict(previous, 150, 101, CancellationToken.None);
        // 259 floats per source pixel with the compact model (hidden 64: first, 3 x filters, 3 bias).
        Assert.True(onnx.CachedScratchFloats >= 61 * 45 * ((4 * 64) + 3), $"{onnx.CachedScratchFloats} floats cached");
        var again = networks.Predict(previous, 150, 101, CancellationToken.None);
        Assert.Equal(first.Data, again.Data);

        networks.ReleaseScratch();
        Assert.Equal(0, onnx.CachedScratchFloats);
        Assert.Equal(first.Data, networks.Predict(previous, 150, 101, CancellationToken.None).Data);
    }

    [SkippableFact]
    public void MultiTilePrediction_FreesItsBuffersWhenDone()
    {
        var networks = fixture.Networks;
        var onnx = Assert.IsType<OnnxCompassNetworks>(networks);
        var previous = Source(97, 70, seed: 2);
        var tiled = TiledPrediction.Predict(networks, previous, 203, 141, new TilingPolicy(1000, 1, 24), CancellationToken.None);
        Assert.Equal(0, onnx.CachedScratchFloats);
        Assert.Equal(203 * 141 * 3, tiled.Data.Length);
    }

    // Predictions of different sizes on several threads at once: each gets a buffer of its own (a larger one replaces
    // a smaller cached one), so every result equals the same prediction run alone.
    [SkippableFact]
    public void ConcurrentPredictions_EqualSequentialOnes()
    {
        var networks = fixture.Networks;
        var sources = Enumerable.Range(0, 6).Select(i => Source(30 + (7 * i), 24 + (5 * i), seed: 10 + i)).ToArray();
        var expected = sources.Select(s => networks.Predict(s, (s.Width * 3) / 2, (s.Height * 3) / 2, CancellationToken.None).Data).ToArray();
        var actual = new float[sources.Length][];
        Parallel.For(0, sources.Length * 3, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            var s = sources[k % sources.Length];
            actual[k % sources.Length] = networks.Predict(s, (s.Width * 3) / 2, (s.Height * 3) / 2, CancellationToken.None).Data;
        });
        for (int i = 0; i < sources.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    private static PlanarImage Source(int width, int height, int seed)
    {
        var image = ImageSharpLoader.LoadPixels(Path.Combine(AppContext.BaseDirectory, "Assets", "kodim23.png"));
        var crop = Resampler.ResizeBicubic(image, width + seed, height + seed);
        return PlanarImage.FromPixels(Resampler.ResizeBicubic(crop, width, height));
    }
}
