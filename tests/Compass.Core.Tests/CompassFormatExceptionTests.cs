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

public class SharedFixtureReaderTests
{
    [SkippableFact]
    public void ReadsAnOfficialScaleTable()
    {
        var table = Compass.Testing.Npy.Load(Path.Combine(Compass.Testing.SharedData.Official, "meanscale", "gc_scale_table.npy"));
        Assert.Equal(new[] { 64 }, table.Shape);
        Assert.Equal(0.11, table.Data[0], 5);
        Assert.Equal(256.0, table.Data[63], 3);
    }
}
