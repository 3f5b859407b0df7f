using System.Buffers.Binary;
using Compass.Bitstream;
using Compass.Imaging;

namespace Compass.Core.Tests.Bitstream;

public class MetadataChunkTests
{
    private static readonly ImageMetadata Sample = new()
    {
        IccProfile = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray(),
        Exif = [.. "MM\0*\0\0\0\x08\0\0"u8],
        Xmp = [.. "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>"u8],
    };

    private static ImageMetadata Read(byte[] chunk) =>
        MetadataChunkCodec.ReadAsync(new OffsetReader(new MemoryStream(chunk)), sync: true, default).AsTask().GetAwaiter().GetResult();

    [Fact]
    public void EveryEntryRoundTripsByteForByte()
    {
        var back = Read(MetadataChunkCodec.Encode(Sample));
        Assert.Equal(Sample.IccProfile, back.IccProfile);
        Assert.Equal(Sample.Exif, back.Exif);
        Assert.Equal(Sample.Xmp, back.Xmp);

        var iccOnly = Read(MetadataChunkCodec.Encode(Sample.Select(MetadataSelection.IccOnly)));
        Assert.Equal(Sample.IccProfile, iccOnly.IccProfile);
        Assert.Null(iccOnly.Exif);
        Assert.Null(iccOnly.Xmp);
        Assert.Throws<ArgumentException>(() => MetadataChunkCodec.Encode(ImageMetadata.Empty));
    }

    [Fact]
    public void TheWriterPutsTheChunkAfterTheHeaderAndTheReaderAndInspectorReadPastIt()
    {
        var plan = LayerPlan.Parse("32x32,64x64");
        LayerRate[] rates = [LayerRate.AtUnitStep(new Quality(2)), LayerRate.AtUnitStep(new Quality(2))];
        var header = new BitstreamHeader(default, plan, rates, flags: BitstreamFlags.Metadata);
        var payload = new LayerPayload(new byte[] { 1, 2 }, new byte[] { 3 });
        using var memory = new MemoryStream();
        using (var writer = new BitstreamWriter(memory, header, Sample, leaveOpen: true))
        {
            writer.WriteLayer(0, payload);
            writer.WriteLayer(1, payload);
            writer.Complete();
        }
        byte[] bytes = memory.ToArray();
        Assert.Equal(header.Size + MetadataChunkCodec.Encode(Sample).Length + (2 * (8 + 4 + 2 + 1)), bytes.Length);

        using var reader = new BitstreamReader(new MemoryStream(bytes));
        reader.ReadHeader();
        Assert.Equal(Sample.IccProfile, reader.Metadata.IccProfile);
        Assert.Equal(new byte[] { 3 }, reader.ReadLayer()!.YStream.ToArray());
        Assert.NotNull(reader.ReadLayer());
        Assert.Null(reader.ReadLayer());
        var summary = BitstreamInspector.Inspect(new MemoryStream(bytes));
        Assert.True(summary.IsValid);
        // The inspector reports the entries and the chunk's size (what compass info lists), and the layers after it.
        Assert.Equal(Sample.IccProfile, summary.Metadata.IccProfile);
        Assert.Equal(Sample.Exif, summary.Metadata.Exif);
        Assert.Equal(Sample.Xmp, summary.Metadata.Xmp);
        Assert.Equal(MetadataChunkCodec.Encode(Sample).Length, summary.MetadataChunkBytes);
        Assert.Equal(header.Size + summary.MetadataChunkBytes, summary.Layers[0].Offset);
        var plain = BitstreamInspector.Inspect(new MemoryStream(BitstreamWriter.ToArray(new BitstreamHeader(default, plan, rates), [payload, payload])));
        Assert.Same(ImageMetadata.Empty, plain.Metadata);
        Assert.Equal(0, plain.MetadataChunkBytes);

        // The flag and the metadata must agree.
        Assert.Throws<ArgumentException>(() => new BitstreamWriter(new MemoryStream(), header, ImageMetadata.Empty));
        Assert.Throws<ArgumentException>(() => new BitstreamWriter(new MemoryStream(), new BitstreamHeader(default, plan, rates), Sample));
    }

    [Fact]
    public void EverySingleBitFlipIsAnErrorNeverACrash()
    {
        byte[] chunk = MetadataChunkCodec.Encode(new ImageMetadata { Exif = Sample.Exif, Xmp = Sample.Xmp });
        for (int bit = 0; bit < chunk.Length * 8; bit++)
        {
            byte[] bad = (byte[])chunk.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.ThrowsAny<CompassFormatException>(() => Read(bad));
        }
    }

    [Fact]
    public void EveryCutIsATruncation()
    {
        byte[] chunk = MetadataChunkCodec.Encode(Sample);
        for (int cut = 0; cut < chunk.Length; cut += 97)
            Assert.Equal(CompassFormatErrorKind.Truncated, Assert.Throws<CompassFormatException>(() => Read(chunk[..cut])).Kind);
    }

    [Fact]
    public void AHugeClaimedLengthIsRefusedFromItsFourBytes()
    {
        byte[] head = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(head, uint.MaxValue);
        var e = Assert.Throws<CompassFormatException>(() => Read(head));
        Assert.Equal(CompassFormatErrorKind.LimitExceeded, e.Kind);
        Assert.Contains($"limit of {MetadataChunkCodec.MaxBodyBytes} bytes", e.Message);
    }

    // Well-formed CRCs over bad tables: the structure checks themselves, not the CRC, must reject these.
    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0 }, "0 entries")]
    [InlineData(new byte[] { 1, 9, 1, 0, 0, 0, 0x41 }, "unknown entry type 9")]
    [InlineData(new byte[] { 2, 2, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0x41, 0x42 }, "must ascend")]
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 0, 0 }, "is 0 bytes")]
    [InlineData(new byte[] { 1, 1, 5, 0, 0, 0, 0x41 }, "runs past the end")]
    [InlineData(new byte[] { 1, 1, 1, 0, 0, 0, 0x41, 0x42 }, "1 bytes after its last entry")]
    public void MalformedTablesAreNamed(byte[] body, string message)
    {
        byte[] chunk = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(chunk, (uint)body.Length);
        body.CopyTo(chunk, 8);
        var crc = new System.IO.Hashing.Crc32();
        crc.Append([0xFF]);
        crc.Append(chunk.AsSpan(0, 4));
        crc.Append(body);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), crc.GetCurrentHashAsUInt32());
        Assert.Contains(message, Assert.Throws<CompassFormatException>(() => Read(chunk)).Message);
    }
}

public class AlphaPlaneCodecTests
{
    [Fact]
    public void PlanesRoundTripExactly()
    {
        var random = new Random(5);
        foreach (var (w, h) in new[] { (1, 1), (17, 3), (64, 48) })
        {
            byte[] noise = new byte[w * h];
            random.NextBytes(noise);
            Assert.Equal(noise, AlphaPlaneCodec.Decode(AlphaPlaneCodec.Encode(noise, w, h), w, h, 0, 0));
        }
        // A disc on a transparent field: the kind of plane a cut-out photo has.
        byte[] disc = new byte[256 * 256];
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
                disc[(y * 256) + x] = (byte)Math.Clamp((100 - Math.Sqrt(((x - 128) * (x - 128)) + ((y - 128) * (y - 128)))) * 64, 0, 255);
        byte[] coded = AlphaPlaneCodec.Encode(disc, 256, 256);
        Assert.Equal(disc, AlphaPlaneCodec.Decode(coded, 256, 256, 0, 0));
        // Smaller than the plane deflated as it is (what a PNG alpha channel without filtering would cost).
        using var deflated = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(deflated, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true)) zlib.Write(disc);
        Assert.True(coded.Length < deflated.Length, $"{coded.Length} bytes coded, {deflated.Length} deflated");

        // A soft vignette: prediction turns it into near-constant residuals.
        byte[] vignette = new byte[256 * 256];
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
                vignette[(y * 256) + x] = (byte)Math.Clamp(255 - (((x - 128) * (x - 128)) + ((y - 128) * (y - 128))) / 128, 0, 255);
        byte[] soft = AlphaPlaneCodec.Encode(vignette, 256, 256);
        Assert.Equal(vignette, AlphaPlaneCodec.Decode(soft, 256, 256, 0, 0));
        Assert.Equal(1, soft[0]); // the predicted mode
        using var softDeflated = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(softDeflated, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true)) zlib.Write(vignette);
        Assert.True(soft.Length * 2 < softDeflated.Length, $"{soft.Length} bytes coded, {softDeflated.Length} deflated");
    }

    [Fact]
    public void WrongSizesAndGarbageAreCorrupt()
    {
        byte[] plane = new byte[40 * 30];
        byte[] coded = AlphaPlaneCodec.Encode(plane, 40, 30);
        Assert.Equal(CompassFormatErrorKind.Corrupt, Assert.Throws<CompassFormatException>(() => AlphaPlaneCodec.Decode(coded, 40, 29, 1, 100)).Kind);
        Assert.Throws<CompassFormatException>(() => AlphaPlaneCodec.Decode(coded, 41, 30, 1, 100));
        Assert.Throws<CompassFormatException>(() => AlphaPlaneCodec.Decode(coded[..^1], 40, 30, 1, 100));
        Assert.Throws<CompassFormatException>(() => AlphaPlaneCodec.Decode([1, 2, 3, 4], 40, 30, 1, 100));
        Assert.Throws<CompassFormatException>(() => AlphaPlaneCodec.Decode([7, .. coded[1..]], 40, 30, 1, 100));
        Assert.Throws<CompassFormatException>(() => AlphaPlaneCodec.Decode([], 40, 30, 1, 100));
    }
}
