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
        Assert.Contains($"Quality {value} is outside 1/256..255.99", ex.Message);
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

    [Theory]
    [InlineData("2.5", 640)]
    [InlineData("3", 768)]
    [InlineData("0.5", 128)]
    [InlineData("2.501", 640)] // rounded to the nearest 1/256
    [InlineData("255.99609375", 65535)]
    public void ContinuousQualitiesParseInvariantAndRoundToQ88(string text, int q88)
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            // A comma-decimal culture must not change how "2.5" reads.
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            var quality = Quality.Parse(text);
            Assert.Equal(q88, quality.Q88);
            Assert.Equal(q88 / 256.0, quality.Value);
            Assert.Equal(quality, Quality.FromQ88(q88));
            Assert.Equal(q88 % 256 == 0, quality.IsWholeNumber);
            Assert.Equal(quality, Quality.Parse(quality.ToString()));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.001")]
    [InlineData("256")]
    [InlineData("NaN")]
    [InlineData("2,5")]
    [InlineData("")]
    public void BadQualityTextIsRefused(string text)
    {
        Assert.False(Quality.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Quality.Parse(text));
    }

    [Fact]
    public void WholeNumbersKeepTheirMeaningAndOrderIsNumeric()
    {
        Assert.Equal(new Quality(3), new Quality(3.0));
        Assert.True(new Quality(2.5) > new Quality(2) && new Quality(2.5) < new Quality(3));
        Assert.Equal("2.5", new Quality(2.5).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => Quality.FromQ88(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quality.FromQ88(65536));
    }
}
