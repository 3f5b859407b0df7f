using System.Buffers.Binary;
using Compass.Bitstream;
using Compass.Determinism;
using static Compass.Tests.Bitstream.BitstreamTestData;

namespace Compass.Core.Tests.Determinism;

/// <summary>The hs_scales.fxp loader refuses every inconsistency with <see cref="CompassFormatException"/>.</summary>
[Trait("Category", "Determinism")]
public sealed class FixedPointBlobTests
{
    // Small model: header 4+2+2+4*7 = 36 bytes, scale table 64 floats + bound, then the layers.
    private static readonly Lazy<byte[]> Blob = new(() => SyntheticHyperScales.Create(4, 6, 99).Blob);
    private const int TableCountOffset = 32;
    private const int FirstLayerOffset = 36 + 64 * 4 + 4;

    private static CompassFormatException LoadEdited(Action<byte[]> edit)
    {
        var bytes = (byte[])Blob.Value.Clone();
        edit(bytes);
        return Assert.Throws<CompassFormatException>(() => FixedPointHyperScales.Load(bytes));
    }

    [Fact]
    public void ValidBlobLoads()
    {
        var model = FixedPointHyperScales.Load(Blob.Value);
        Assert.Equal(4, model.ZChannels);
        Assert.Equal(6, model.YChannels);
        Assert.Equal(64, model.TableCount);
        Assert.Equal(2, FixedPointHyperScales.EntropyPathVersion);
    }

    [Fact]
    public void EveryTruncationIsRefused()
    {
        var blob = Blob.Value;
        for (int n = 0; n < blob.Length; n++)
            Assert.Throws<CompassFormatException>(() => FixedPointHyperScales.Load(blob.AsSpan(0, n)));
    }

    [Fact]
    public void TrailingBytesAreRefused() =>
        Assert.Contains("trailing", Assert.Throws<CompassFormatException>(() => FixedPointHyperScales.Load([.. Blob.Value, 0])).Message);

    [Fact]
    public void BadMagicAndVersionAreRefused()
    {
        Assert.Contains("magic", LoadEdited(b => b[0] ^= 1).Message);
        Assert.Contains("version 2", LoadEdited(b => b[4] = 2).Message);
    }

    [Fact]
    public void InconsistentShapesAreRefused()
    {
        Assert.Contains("N=", LoadEdited(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8), 0)).Message);
        Assert.Contains("M=", LoadEdited(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), 7)).Message);
        Assert.Contains("layer 0", LoadEdited(b => b[FirstLayerOffset] = 2).Message);
        Assert.Contains("channels", LoadEdited(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(FirstLayerOffset + 4), 5)).Message);
        Assert.Contains("scale table", LoadEdited(b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(TableCountOffset + 4 + 8), 0.05f)).Message);
    }

    [Fact]
    public void AWeightThatCouldOverflowTheAccumulatorIsRefused()
    {
        // Layer 0 weights start after its 16-byte header, 6 acc-bit fields and 6 biases; max out a run of them.
        int weights = FirstLayerOffset + 16 + 6 * 4 + 6 * 4;
        var ex = LoadEdited(b =>
        {
            for (int i = 0; i < 4 * 25; i++) BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(weights + 2 * i), short.MaxValue);
        });
        Assert.Contains("overflow", ex.Message);
        Assert.Contains("-32768", LoadEdited(b => BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(weights), short.MinValue)).Message);
    }

    /// <summary>Issue "Trust" item 2(d): a stream whose entropy path this library does not know is refused, saying so.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    public void UnknownEntropyPathVersionIsRefusedWithAClearMessage(byte version)
    {
        var (bytes, _, _) = Small();
        bytes[5] = version;
        FixHeaderCrc(bytes);
        var ex = Assert.Throws<CompassFormatException>(() => ReadAll(new MemoryStream(bytes)));
        Assert.Contains($"entropy-path version {version}", ex.Message);
        Assert.Contains("bit-exactly", ex.Message);
        Assert.False(BitstreamFormat.IsKnownEntropyPathVersion(version));
    }
}
