namespace Compass.Tests;

public class CompassFormatExceptionTests
{
    [Fact]
    public void MessageNamesTheByteOffset()
    {
        var ex = new CompassFormatException("bad magic", 3);
        Assert.Equal(3, ex.ByteOffset);
        Assert.Contains("at byte 3", ex.Message);
    }
}
