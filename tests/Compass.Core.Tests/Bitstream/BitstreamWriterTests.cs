using Compass.Bitstream;
using static Compass.Tests.Bitstream.BitstreamTestData;

namespace Compass.Tests.Bitstream;

public class BitstreamWriterTests
{
    private static readonly LayerPayload Tiny = new(new byte[] { 1 }, new byte[] { 2 });

    [Fact]
    public void LayersMustBeWrittenInOrder()
    {
        using var writer = new BitstreamWriter(new MemoryStream(), Header());
        var ex = Assert.Throws<InvalidOperationException>(() => writer.WriteLayer(1, Tiny));
        Assert.Contains("expected layer 0, got 1", ex.Message);
        writer.WriteLayer(0, Tiny);
        Assert.Throws<InvalidOperationException>(() => writer.WriteLayer(0, Tiny));
    }

    [Fact]
    public void NoMoreLayersThanThePlan()
    {
        using var writer = new BitstreamWriter(new MemoryStream(), Header("16x16"));
        writer.WriteLayer(0, Tiny);
        Assert.Contains("All 1 layers", Assert.Throws<InvalidOperationException>(() => writer.WriteLayer(1, Tiny)).Message);
        writer.Complete();
    }

    [Fact]
    public void CompleteChecksTheLayerCount()
    {
        var stream = new MemoryStream();
        using (var writer = new BitstreamWriter(stream, Header(), leaveOpen: true))
        {
            Assert.Contains("0 of the plan's 3", Assert.Throws<InvalidOperationException>(writer.Complete).Message);
            writer.WriteLayer(0, Tiny);
            Assert.Contains("1 of the plan's 3", Assert.Throws<InvalidOperationException>(writer.Complete).Message);
        } // disposing an incomplete writer does not throw
        Assert.True(new BitstreamReader(new MemoryStream(stream.ToArray())).ReadAvailableLayers().IsTruncated);
        Assert.Throws<InvalidOperationException>(() => BitstreamWriter.ToArray(Header(), [Tiny, Tiny]));
    }

    [Fact]
    public void NothingIsWrittenForARejectedPayload()
    {
        var stream = new MemoryStream();
        using var writer = new BitstreamWriter(stream, Header("16x16"), new BitstreamLimits { MaxPayloadBytes = 8 });
        var ex = Assert.Throws<ArgumentException>(() => writer.WriteLayer(0, new LayerPayload(new byte[3], new byte[2])));
        Assert.Contains("payload is 9 bytes, above the limit of 8", ex.Message);
        Assert.Equal(0, stream.Length);
        writer.WriteLayer(0, new LayerPayload(new byte[2], new byte[2]));
        writer.Complete();
    }

    [Fact]
    public void PlanMustFitTheWritersLimits()
    {
        var limits = new BitstreamLimits { Plan = new LayerPlanLimits { MaxTotalPixels = 500 } };
        var ex = Assert.Throws<ArgumentException>(() => new BitstreamWriter(new MemoryStream(), Header(), limits));
        Assert.Contains("500", ex.Message);
    }

    [Fact]
    public void HeaderRejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BitstreamHeader(Model, new Quality(0), LayerPlan.Parse("16x16")));
        Assert.Throws<ArgumentException>(() => new BitstreamHeader(Model, new Quality(1), default));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BitstreamHeader(Model, new Quality(1), LayerPlan.Parse("16x16"), entropyPathVersion: 3));
        Assert.Throws<ArgumentException>(() => new BitstreamWriter(new MemoryStream([], writable: false), Header()));
    }

    [Fact]
    public void DisposedWriterRefusesWrites()
    {
        var writer = new BitstreamWriter(new MemoryStream(), Header());
        writer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => writer.WriteLayer(0, Tiny));
    }
}

public class ModelIdentityTests
{
    [Fact]
    public void ComputesSha256AndFormatsAsHex()
    {
        var id = ModelIdentity.Compute("abc"u8);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", id.ToString());
        Assert.Equal(id, ModelIdentity.Parse(id.ToString().ToUpperInvariant()));
        Assert.Equal(id, ModelIdentity.Compute(new MemoryStream("abc"u8.ToArray())));
        Assert.True(id == new ModelIdentity(id.ToArray()));
        Assert.NotEqual(id, ModelIdentity.Compute("abd"u8));
        Assert.Equal(id.GetHashCode(), ModelIdentity.Parse(id.ToString()).GetHashCode());
    }

    [Fact]
    public void DefaultIsZero()
    {
        Assert.True(default(ModelIdentity).IsZero);
        Assert.Equal(new string('0', 64), default(ModelIdentity).ToString());
        Assert.False(ModelIdentity.Compute([]).IsZero);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad00")]
    public void RejectsMalformedHex(string hex)
    {
        Assert.False(ModelIdentity.TryParse(hex, out _));
        Assert.Throws<FormatException>(() => ModelIdentity.Parse(hex));
    }

    [Fact]
    public void NeedsThirtyTwoBytes() => Assert.Throws<ArgumentException>(() => new ModelIdentity(new byte[31]));
}
