namespace Compass.Tests;

public class QualityTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(255)]
    public void ValidLevelsRoundTrip(int value)
    {
        var quality = new Quality(value);
        Assert.Equal(value, quality.Value);
        Assert.Equal(value, (int)quality);
        Assert.Equal(quality, (Quality)value);
        Assert.True(Quality.TryCreate(value, out var created) && created == quality);
        Assert.Equal(value.ToString(System.Globalization.CultureInfo.InvariantCulture), quality.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(256)]
    public void OutOfRangeLevelsAreRefusedEverywhere(int value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Quality(value));
        Assert.Contains($"Quality {value} is outside 1..255", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => (Quality)value);
        Assert.False(Quality.TryCreate(value, out _));
        Assert.False(Quality.IsValid(value));
    }

    [Fact]
    public void DefaultIsTheLowestLevel()
    {
        Assert.Equal(1, default(Quality).Value);
        Assert.Equal(new Quality(1), default);
        Assert.True(new Quality(2).CompareTo(new Quality(3)) < 0);
    }
}
