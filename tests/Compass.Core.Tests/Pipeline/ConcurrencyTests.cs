using Compass.Imaging;
using Compass.Testing;
using Compass.Tests.Imaging;

namespace Compass.Tests.Pipeline;

/// <summary>One encoder and one decoder instance serve many threads at once (documented as thread-safe).</summary>
public class ConcurrencyTests
{
    [Fact]
    public async Task ParallelRoundTripsOnSharedInstancesMatchSequentialResults()
    {
        using var model = new FakeModel();
        var encoder = new ScalableEncoder(model);
        var decoder = new ScalableDecoder(model);
        var jobs = Enumerable.Range(0, 12).Select(i => (Width: 90 + 7 * i, Height: 70 + 5 * i, Quality: 1 + i % 2)).ToArray();

        byte[] Encode((int Width, int Height, int Quality) job)
        {
            var image = new PixelBuffer(job.Width, job.Height);
            for (int y = 0; y < job.Height; y++)
                for (int x = 0; x < job.Width; x++)
                    ImagingTestData.Set(image, x, y, (byte)(x * 3 + job.Width), (byte)(y * 5), (byte)((x ^ y) + job.Quality));
            var plan = LayerPlan.FromScales(job.Width, job.Height, 0.3, 0.6, 1.0);
            return encoder.Encode(image, plan, new EncodeOptions { Quality = new Quality(job.Quality) });
        }

        float[][] Decode(byte[] bytes)
        {
            using var result = decoder.Decode(bytes);
            return result.Layers.Select(l => l.Reconstruction.Data).ToArray();
        }

        var sequentialBytes = jobs.Select(Encode).ToArray();
        var sequentialLayers = sequentialBytes.Select(Decode).ToArray();

        var parallel = await Task.WhenAll(jobs.Select((job, i) => Task.Run(() =>
        {
            var bytes = Encode(job);
            return (Index: i, Bytes: bytes, Layers: Decode(bytes));
        })));

        foreach (var (index, bytes, layers) in parallel)
        {
            Assert.Equal(sequentialBytes[index], bytes);
            Assert.Equal(sequentialLayers[index].Length, layers.Length);
            for (int k = 0; k < layers.Length; k++) Assert.Equal(sequentialLayers[index][k], layers[k]);
        }
    }
}
