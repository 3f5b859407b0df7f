using Compass.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Data;

public class TrainingBatchSourceTests
{
    [Fact]
    public void LayersFollowTheSampledSizesAndAreDeterministic()
    {
        using var folder = TestImages.Folder(4, 80, 72);
        var scales = ScaleSampler.Compass(2);
        var a = new TrainingBatchSource(new ImageFolderDataset(folder.Path, 64), 3, scales, seed: 11);
        var b = new TrainingBatchSource(new ImageFolderDataset(folder.Path, 64), 3, scales, seed: 11);
        using var batch = a.GetBatch(5);
        using var again = b.GetBatch(5);
        var expected = scales.Sample(64, 64, 11, 5);
        Assert.Equal(expected, batch.Sizes);
        Assert.Equal(3, batch.Count);
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(3, batch.Layers[k].shape[1]);
            Assert.True(batch.Layers[k].min().item<float>() >= 0 && batch.Layers[k].max().item<float>() <= 1);
            Assert.True(TensorAssert.Same(batch.Layers[k], again.Layers[k]));
        }
    }

    [Fact]
    public void DownscaleSeamIsUsedForEveryLayer()
    {
        using var folder = TestImages.Folder(2, 48, 48);
        var calls = new List<(long, int, int)>();
        Downscaler spy = (x, h, w) => { calls.Add((x.shape[2], h, w)); return Downscalers.BicubicAntialias(x, h, w); };
        var source = new TrainingBatchSource(new ImageFolderDataset(folder.Path, 32), 2, ScaleSampler.Compass(2), 1, spy);
        using var batch = source.GetBatch(0);
        Assert.Equal(3, calls.Count);
        Assert.All(calls, c => Assert.Equal(32, c.Item1)); // every layer from the crop, not a cascade
        Assert.Equal(batch.Sizes.Select(s => (32L, s.Height, s.Width)), calls);
    }

    [Fact]
    public void DefaultDownscalerIsAntialiased()
    {
        // A one-pixel checkerboard reduced 4x: an antialiased filter gives ~0.5 everywhere,
        // plain bicubic sampling would alias to near 0 or 1.
        using var board = (arange(32).unsqueeze(1) + arange(32).unsqueeze(0)).remainder(2).to(ScalarType.Float32).reshape(1, 1, 32, 32).expand(1, 3, 32, 32).contiguous();
        using var small = Downscalers.BicubicAntialias(board, 8, 8);
        Assert.Equal(new long[] { 1, 3, 8, 8 }, small.shape);
        using var inner = small[.., .., 1..7, 1..7];
        Assert.True((inner - 0.5f).abs().max().item<float>() < 0.05f);
        using var constant = full(new long[] { 1, 3, 20, 30 }, 0.3f);
        using var c = Downscalers.BicubicAntialias(constant, 7, 11);
        Assert.True((c - 0.3f).abs().max().item<float>() < 1e-5f);
        using var same = Downscalers.BicubicAntialias(constant, 20, 30);
        Assert.True(TensorAssert.Same(same, constant));
    }
}
