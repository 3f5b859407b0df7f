using Compass.Training.Data;

namespace Compass.Training.Tests.Data;

// Compass.LayerSize (Core) would win over the using directive from the enclosing namespace.
using LayerSize = Compass.Training.Data.LayerSize;

public class ScaleSamplerTests
{
    [Fact]
    public void CompassRecipeHasThePaperRanges()
    {
        var s = ScaleSampler.Compass(2);
        Assert.Equal([new ScaleRange(0.25, 0.25), new ScaleRange(0.25, 0.5), new ScaleRange(0.5, 1.0)], s.Ranges);
        var one = ScaleSampler.Compass(1);
        Assert.Equal([new ScaleRange(0.25, 0.25), new ScaleRange(0.25, 1.0)], one.Ranges);
        var three = ScaleSampler.Compass(3);
        Assert.Equal(4, three.LayerCount);
        Assert.Equal(0.25 * Math.Pow(4, 1 / 3.0), three.Ranges[1].Max, 12);
        Assert.Equal(three.Ranges[1].Max, three.Ranges[2].Min, 12);
        Assert.Equal(1.0, three.Ranges[3].Max);
    }

    [Fact]
    public void SampledSizesStayInTheirRangesAndIncrease()
    {
        var s = ScaleSampler.Compass(2);
        int crop = 128;
        var el1 = new List<int>();
        var el2 = new List<int>();
        for (long step = 0; step < 2000; step++)
        {
            var sizes = s.Sample(crop, crop, seed: 1, step);
            Assert.Equal(3, sizes.Count);
            Assert.Equal(new LayerSize(32, 32), sizes[0]);
            Assert.InRange(sizes[1].Height, 33, 64);
            Assert.InRange(sizes[2].Height, 64, 128);
            Assert.True(sizes[2].Height > sizes[1].Height);
            Assert.All(sizes, z => Assert.Equal(z.Height, z.Width));
            el1.Add(sizes[1].Height);
            el2.Add(sizes[2].Height);
        }
        // Uniform: both ends reached, mean near the middle.
        Assert.True(el1.Min() <= 34 && el1.Max() >= 63);
        Assert.True(el2.Min() <= 66 && el2.Max() >= 126);
        Assert.InRange(el2.Average(), 92, 100);
    }

    [Fact]
    public void NonSquareCropsScaleEachAxis()
    {
        var sizes = ScaleSampler.Compass(2).Reference(96, 160);
        Assert.Equal([new LayerSize(24, 40), new LayerSize(48, 80), new LayerSize(96, 160)], sizes);
    }

    [Fact]
    public void SamplesArePureFunctionsOfSeedAndStep()
    {
        var a = ScaleSampler.Compass(2);
        var b = ScaleSampler.Compass(2);
        Assert.Equal(a.Sample(128, 128, 9, 1234), b.Sample(128, 128, 9, 1234));
        var distinct = Enumerable.Range(0, 50).Select(i => a.Sample(128, 128, 9, i)[2]).Distinct().Count();
        Assert.True(distinct > 20);
        Assert.NotEqual(
            Enumerable.Range(0, 10).Select(i => a.Sample(128, 128, 9, i)[2]),
            Enumerable.Range(0, 10).Select(i => a.Sample(128, 128, 10, i)[2]));
    }

    [Fact]
    public void SingleLayerIsTheWholeCrop()
    {
        Assert.Equal([new LayerSize(128, 128)], ScaleSampler.SingleLayer.Sample(128, 128, 1, 5));
    }

    [Fact]
    public void InvalidRangesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new ScaleSampler([new ScaleRange(0, 0.5)]));
        Assert.Throws<ArgumentException>(() => new ScaleSampler([new ScaleRange(0.5, 0.4)]));
        Assert.Throws<ArgumentException>(() => new ScaleSampler([new ScaleRange(0.5, 0.5), new ScaleRange(0.25, 1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScaleSampler.Compass(0));
    }
}
