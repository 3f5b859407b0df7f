using Compass.Bitstream;
using Compass.Testing;

namespace Compass.Tests;

public class CompassFormatExceptionTests
{
    [Fact]
    public void MessageNamesTheByteOffset()
    {
        var ex = new CompassFormatException("bad magic", 3);
        Assert.Equal(3, ex.ByteOffset);
        Assert.Contains("at byte 3", ex.Message);
        Assert.Equal(CompassFormatErrorKind.Malformed, ex.Kind);
    }

    [Fact]
    public void CarriesItsKindAndIsAFormatException()
    {
        var ex = new CompassFormatException(CompassFormatErrorKind.Truncated, "the stream ended", 12);
        Assert.Equal(CompassFormatErrorKind.Truncated, ex.Kind);
        Assert.True(ex.IsTruncation);
        Assert.False(new CompassFormatException(CompassFormatErrorKind.Corrupt, "CRC").IsTruncation);
        Assert.IsAssignableFrom<FormatException>(ex);
        Assert.Empty(ex.Data); // the kind is a property, not an Exception.Data flag
    }

    [Fact]
    public void AStreamOfAnotherModelIsAModelMismatch()
    {
        using var model = new FakeModel(seed: 1);
        using var other = new FakeModel(seed: 7);
        var image = new Compass.Imaging.PixelBuffer(64, 48);
        byte[] bytes = new ScalableEncoder(model).Encode(image, LayerPlan.Parse("32x24,64x48"));
        var ex = Assert.Throws<CompassFormatException>(() => new ScalableDecoder(other).Decode(bytes));
        Assert.Equal(CompassFormatErrorKind.ModelMismatch, ex.Kind);
        Assert.Equal(BitstreamFormat.ModelIdOffset, ex.ByteOffset);
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
