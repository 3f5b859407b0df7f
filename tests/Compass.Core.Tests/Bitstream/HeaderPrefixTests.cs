using Compass.Bitstream;
using static Compass.Tests.Bitstream.BitstreamTestData;

namespace Compass.Tests.Bitstream;

/// <summary><see cref="BitstreamHeader.TryRead"/>: the header from the first bytes of a stream, as a client fetching ranges has them.</summary>
public class HeaderPrefixTests
{
    private static readonly BitstreamHeader Header = new(Model, new Quality(3), LayerPlan.Parse("192x128,384x256,768x512"));
    private static readonly byte[] Stream = BitstreamWriter.ToArray(Header, Enumerable.Repeat(new LayerPayload(new byte[] { 1 }, new byte[] { 2, 3 }), 3));

    [Fact]
    public void AShortPrefixSaysHowManyBytesToFetchNext()
    {
        // Under 41 bytes the layer count is unknown: ask for the fixed part; then for the whole 75-byte header.
        foreach (int length in new[] { 0, 1, 4, 40 })
        {
            Assert.False(BitstreamHeader.TryRead(Stream.AsSpan(0, length), out var header, out int needed));
            Assert.Null(header);
            Assert.Equal(41, needed);
        }
        foreach (int length in new[] { 41, 64, 74 })
        {
            Assert.False(BitstreamHeader.TryRead(Stream.AsSpan(0, length), out _, out int needed));
            Assert.Equal(75, needed);
        }
    }

    [Fact]
    public void TheWholeHeaderOrMoreGivesTheHeader()
    {
        foreach (int length in new[] { 75, 76, Stream.Length })
        {
            Assert.True(BitstreamHeader.TryRead(Stream.AsSpan(0, length), out var header, out int size));
            Assert.Equal(Header, header);
            Assert.Equal(75, size);
        }
    }

    [Fact]
    public void BadBytesThrowAsTheReaderDoes()
    {
        var ex = Assert.Throws<CompassFormatException>(() => BitstreamHeader.TryRead("CMPX"u8, out _, out _));
        Assert.Contains("Not a Compass bitstream", ex.Message, StringComparison.Ordinal);

        byte[] corrupt = Stream[..75];
        corrupt[42] ^= 1; // a width bit: only the CRC catches it
        ex = Assert.Throws<CompassFormatException>(() => BitstreamHeader.TryRead(corrupt, out _, out _));
        Assert.Equal(CompassFormatErrorKind.Corrupt, ex.Kind);

        byte[] noLayers = Stream[..41];
        noLayers[40] = 0;
        ex = Assert.Throws<CompassFormatException>(() => BitstreamHeader.TryRead(noLayers, out _, out _));
        Assert.Contains("declares 0 layers", ex.Message, StringComparison.Ordinal);
    }
}
