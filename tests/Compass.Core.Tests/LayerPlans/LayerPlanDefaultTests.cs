namespace Compass.Tests.LayerPlans;

/// <summary><see cref="LayerPlan.Default"/>: a quarter, a half and the whole image, less the layers below 16 px a side.</summary>
public class LayerPlanDefaultTests
{
    [Theory]
    [InlineData(768, 512, "192x128,384x256,768x512")]
    [InlineData(517, 389, "129x97,258x194,517x389")]
    [InlineData(64, 64, "16x16,32x32,64x64")]
    [InlineData(63, 200, "31x100,63x200")]   // a quarter of 63 is 15: below the 16 px minimum
    [InlineData(40, 40, "20x20,40x40")]
    [InlineData(31, 31, "31x31")]            // even the half is below 16 px: the image alone
    [InlineData(16, 16, "16x16")]
    public void DropsTheLayersBelowTheMinimumSide(int width, int height, string expected)
    {
        Assert.Equal(LayerPlan.Parse(expected), LayerPlan.Default(width, height));
    }

    [Fact]
    public void IsTheDefaultScalesWhenEveryLayerFits()
    {
        Assert.Equal([0.25, 0.5, 1.0], LayerPlan.DefaultScales.ToArray());
        Assert.Equal(LayerPlan.FromScales(1000, 700, [.. LayerPlan.DefaultScales]), LayerPlan.Default(1000, 700));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(15, 40)]
    [InlineData(16, 16)]
    public void AnImageUnder16PxIsOneLayerOfItsOwnSize(int width, int height)
    {
        Assert.Equal(new LayerSize(width, height), Assert.Single(LayerPlan.Default(width, height).Layers));
    }

    [Theory]
    [InlineData(0, 40)]
    [InlineData(40, 0)]
    [InlineData(70000, 40)]
    public void AnImageThatCannotBeALayerIsRefused(int width, int height)
    {
        Assert.Throws<ArgumentException>(() => LayerPlan.Default(width, height));
    }
}
