using Compass.Training.Training;

namespace Compass.Training.Tests.Trainer;

public class LearningRateScheduleTests
{
    [Fact]
    public void ConstantIsConstant()
    {
        var s = LearningRateSchedule.Parse("constant", 1e-4);
        Assert.All(new long[] { 0, 1, 500, 999 }, k => Assert.Equal(1e-4, s.RateAt(k, 1000)));
    }

    [Fact]
    public void StepDropsAtTheFraction()
    {
        var s = LearningRateSchedule.Parse("step", 5e-4);
        Assert.Equal(5e-4, s.RateAt(0, 1000));
        Assert.Equal(5e-4, s.RateAt(749, 1000));
        Assert.Equal(1e-4, s.RateAt(750, 1000), 15);
        Assert.Equal(1e-4, s.RateAt(999, 1000), 15);
        var custom = LearningRateSchedule.Parse("step:0.5:0.1", 1e-3);
        Assert.Equal(1e-3, custom.RateAt(49, 100));
        Assert.Equal(1e-4, custom.RateAt(50, 100), 15);
    }

    [Fact]
    public void BudgetProgressDrivesTheShapeAfterWarmup()
    {
        var step = LearningRateSchedule.Parse("step:0.75:0.2", 5e-4, warmupSteps: 4);
        Assert.Equal(5e-4 / 4, step.RateAtProgress(0, 0.9), 15); // warm-up counts steps, whatever the budget
        Assert.Equal(5e-4, step.RateAtProgress(10, 0.7499));
        Assert.Equal(1e-4, step.RateAtProgress(10, 0.75), 15);
        var cosine = LearningRateSchedule.Parse("cosine:0.1", 1e-3);
        Assert.Equal(1e-3, cosine.RateAtProgress(0, 0), 15);
        Assert.Equal(1e-3 * 0.55, cosine.RateAtProgress(5, 0.5), 15);
        Assert.Equal(1e-4, cosine.RateAtProgress(9, 1.7), 15); // clamped
    }

    [Fact]
    public void CosineDecaysToTheFinalFactor()
    {
        var s = LearningRateSchedule.Parse("cosine:0.1", 1e-3);
        Assert.Equal(1e-3, s.RateAt(0, 101), 15);
        Assert.Equal(1e-3 * (0.1 + 0.9 * 0.5), s.RateAt(50, 101), 15);
        Assert.Equal(1e-4, s.RateAt(100, 101), 15);
    }

    [Fact]
    public void WarmupRampsLinearlyThenFollowsTheShape()
    {
        var s = LearningRateSchedule.Parse("cosine", 1e-3, warmupSteps: 10);
        Assert.Equal(1e-4, s.RateAt(0, 110), 15);
        Assert.Equal(5e-4, s.RateAt(4, 110), 15);
        Assert.Equal(1e-3, s.RateAt(9, 110), 15);
        Assert.Equal(1e-3, s.RateAt(10, 110), 15);
        Assert.Equal(0, s.RateAt(109, 110), 15);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("step:1.5")]
    [InlineData("step:0.5:x")]
    [InlineData("step:0.5:0.1:3")]
    [InlineData("constant:1")]
    [InlineData("cosine:-1")]
    public void BadSpecificationsAreRejected(string spec)
    {
        Assert.Throws<FormatException>(() => LearningRateSchedule.Parse(spec, 1e-3));
    }

    [Fact]
    public void TextFormIsStable()
    {
        Assert.Equal("step:0.75:0.2 lr=0.0005 warmup=0", LearningRateSchedule.Parse("step", 5e-4).ToString());
        Assert.Equal("cosine:0 lr=0.001 warmup=5", LearningRateSchedule.Parse("cosine", 1e-3, 5).ToString());
    }
}
