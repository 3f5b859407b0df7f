using Compass.Evaluation;

namespace Compass.Evaluation.Tests;

public class EvaluationSetupTests
{
    [Fact]
    public void TwoLayerSizesFloorTheScaledKodakSize()
    {
        var plans = EvaluationSetup.TwoLayer.Configurations.Select(c => c.PlanFor(768, 512).ToString()).ToArray();
        Assert.Equal(["192x128,230x153", "192x128,307x204", "192x128,384x256", "192x128,460x307", "192x128,537x358"], plans);
        Assert.Equal(["1.2x", "1.6x", "2.0x", "2.4x", "2.8x"], EvaluationSetup.TwoLayer.Configurations.Select(c => c.Label));
    }

    [Fact]
    public void ThreeLayerSizesHaveEl1AtTwiceTheBaseLayer()
    {
        var plans = EvaluationSetup.ThreeLayer.Configurations.Select(c => c.PlanFor(512, 768).ToString()).ToArray();
        Assert.Equal(["128x192,256x384,307x460", "128x192,256x384,358x537", "128x192,256x384,409x614",
            "128x192,256x384,460x691", "128x192,256x384,512x768"], plans);
        Assert.Equal("3.6x", EvaluationSetup.ThreeLayer.Configurations[3].Label);
    }

    [Fact]
    public void SingleIsOneLayerAtTheOriginalSize()
    {
        var configuration = Assert.Single(EvaluationSetup.Single.Configurations);
        Assert.Equal("768x512", configuration.PlanFor(768, 512).ToString());
        Assert.False(EvaluationSetup.Single.IsScalable);
    }

    [Fact]
    public void ParseFindsSetupsByNameAndRejectsOthers()
    {
        Assert.Same(EvaluationSetup.ThreeLayer, EvaluationSetup.Parse("Three-Layer"));
        Assert.Contains("known: two-layer, three-layer, single", Assert.Throws<ArgumentException>(() => EvaluationSetup.Parse("four-layer")).Message);
    }
}
