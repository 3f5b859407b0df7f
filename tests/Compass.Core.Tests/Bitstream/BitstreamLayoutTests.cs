using System.Buffers.Binary;
using System.IO.Hashing;
using Compass.Bitstream;
using static Compass.Tests.Bitstream.BitstreamTestData;

namespace Compass.Tests.Bitstream;

/// <summary>Pins the byte layout documented in docs/bitstream.md, field by field.</summary>
public class BitstreamLayoutTests
{
    [Fact]
    public void TheHeaderMatchesTheDocumentedTable()
    {
        LayerRate[] rates = [new(new Quality(7), 65536), new(new Quality(7.5), 70000), new(Quality.FromQ88(2049), (1 << 24) - 1)];
        var header = new BitstreamHeader(Model, LayerPlan.Parse("192x128,384x256,768x512"), rates, flags: BitstreamFlags.Grayscale | BitstreamFlags.Alpha);
        // With the alpha flag every layer carries an alpha plane between z and y.
        var payload = new LayerPayload(new byte[] { 0x11 }, new byte[] { 0x22, 0x33 }) { AlphaStream = new byte[] { 0x44, 0x55, 0x66 } };
        byte[] bytes = BitstreamWriter.ToArray(header, Enumerable.Repeat(payload, 3));

        Assert.Equal(75, header.Size); // 45 + 10 * 3
        Assert.Equal("CMPS"u8.ToArray(), bytes[0..4]);
        Assert.Equal(2, bytes[4]); // format version
        Assert.Equal(BitstreamFormat.FixedPointEntropyPath, bytes[5]); // entropy-path version (the default header)
        Assert.Equal(0, bytes[6]); // reserved (version 1: the quality)
        Assert.Equal(0b101, bytes[7]); // flags: grayscale (bit 0), alpha (bit 2)
        Assert.Equal(Model.ToArray(), bytes[8..40]);
        Assert.Equal(3, bytes[40]); // layer count
        Assert.Equal(192, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(41)));
        Assert.Equal(128, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(43)));
        Assert.Equal(7 * 256, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(45))); // quality, Q8.8
        Assert.Equal(65536u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(47))); // stepQ16
        Assert.Equal(384, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(51)));
        Assert.Equal(1920, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(55)));
        Assert.Equal(70000u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(57)));
        Assert.Equal(768, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(61)));
        Assert.Equal(512, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(63)));
        Assert.Equal(2049, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(65)));
        Assert.Equal((1u << 24) - 1, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(67)));
        Assert.Equal(Crc32.HashToUInt32(bytes.AsSpan(0, 71)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(71)));

        // Layer chunk: N, CRC, then z length, z, alpha length, alpha, y.
        Assert.Equal(4 + 1 + 4 + 3 + 2, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(75)));
        Assert.Equal(new byte[] { 1, 0, 0, 0, 0x11, 3, 0, 0, 0, 0x44, 0x55, 0x66, 0x22, 0x33 }, bytes[83..97]);

        using var reader = new BitstreamReader(new MemoryStream(bytes));
        Assert.Equal(header, reader.ReadHeader());
        Assert.Equal(rates, reader.Header!.LayerRates);
        var first = reader.ReadLayer()!;
        Assert.Equal(new byte[] { 0x44, 0x55, 0x66 }, first.AlphaStream.ToArray());
        Assert.Equal(new byte[] { 0x22, 0x33 }, first.YStream.ToArray());
    }

    [Fact]
    public void AVersion1HeaderStillReads_AsOneQualityAtStep1()
    {
        // Version 1: quality in byte 6, 4 bytes per layer (width, height); built by hand, the CRC computed here.
        byte[] header = new byte[45 + (4 * 2)];
        "CMPS"u8.CopyTo(header);
        header[4] = 1;
        header[5] = BitstreamFormat.FixedPointEntropyPath;
        header[6] = 3;
        Model.CopyTo(header.AsSpan(8, 32));
        header[40] = 2;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(41), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(43), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(45), 32);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(47), 32);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(49), Crc32.HashToUInt32(header.AsSpan(0, 49)));
        byte[] bytes = [.. header, .. Chunk(0, [1, 0, 0, 0, 9, 8]), .. Chunk(1, [0, 0, 0, 0, 7])];

        using var reader = new BitstreamReader(new MemoryStream(bytes));
        var read = reader.ReadHeader();
        Assert.Equal(1, read.Version);
        Assert.Equal(53, read.Size);
        Assert.Equal(new Quality(3), read.Quality);
        Assert.All(read.LayerRates, r => Assert.Equal(LayerRate.AtUnitStep(new Quality(3)), r));
        Assert.Equal([9], reader.ReadLayer()!.ZStream.ToArray());
        Assert.Equal([7], reader.ReadLayer()!.YStream.ToArray());
        // Written back, a version-1 header keeps its layout byte for byte.
        Assert.Equal(header, BitstreamWriter.ToArray(read, [new LayerPayload(default, default), new LayerPayload(default, default)])[..53]);
    }

    [Fact]
    public void AChunkMatchesTheDocumentedTable()
    {
        var header = Header("16x16");
        byte[] bytes = BitstreamWriter.ToArray(header, [new LayerPayload(new byte[] { 0xA1, 0xA2 }, new byte[] { 0xB1, 0xB2, 0xB3 })]);
        byte[] chunk = bytes[header.Size..];
        // payload = z length (2) + z + y = 4 + 2 + 3 bytes, built here independently of the writer;
        // the CRC 0x92fa862a was checked with Python: zlib.crc32(bytes([0]) + struct.pack("<I", 9) + payload).
        Assert.Equal(Chunk(0, [2, 0, 0, 0, 0xA1, 0xA2, 0xB1, 0xB2, 0xB3]), chunk);
        Assert.Equal("090000002a86fa9202000000a1a2b1b2b3", Convert.ToHexStringLower(chunk));
    }

    [Fact]
    public void TheChunkCrcCoversTheLayerIndexSoSwappedChunksAreDetected()
    {
        var header = Header("16x16,32x32");
        var same = new LayerPayload(new byte[] { 1 }, new byte[] { 2 });
        byte[] bytes = BitstreamWriter.ToArray(header, [same, same]);
        int first = header.Size, second = first + 8 + 6;
        Assert.NotEqual(bytes.AsSpan(first, 8).ToArray(), bytes.AsSpan(second, 8).ToArray());
    }

    [Fact]
    public void AHandBuiltStreamReads()
    {
        var header = Header("16x16,32x32");
        byte[] bytes = [.. BitstreamWriter.ToArray(header, [new LayerPayload(default, default), new LayerPayload(default, default)])[..header.Size],
            .. Chunk(0, [1, 0, 0, 0, 9, 8, 7]), .. Chunk(1, [0, 0, 0, 0])];
        var layers = ReadAll(new MemoryStream(bytes));
        Assert.Equal([9], layers[0].ZStream.ToArray());
        Assert.Equal([8, 7], layers[0].YStream.ToArray());
        Assert.True(layers[1].ZStream.IsEmpty && layers[1].YStream.IsEmpty);
    }
}

/// <summary>Each header and chunk field is validated, with the field's offset in the error.</summary>
public class BitstreamFieldValidationTests
{
    private static CompassFormatException ReadEdited(Action<byte[]> edit, bool fixCrc = true)
    {
        var (bytes, _, _) = Small();
        edit(bytes);
        if (fixCrc)
        {
            FixHeaderCrc(bytes);
        }
        return Assert.Throws<CompassFormatException>(() => ReadAll(new MemoryStream(bytes)));
    }

    [Fact]
    public void BadMagic()
    {
        var ex = ReadEdited(b => b[0] = (byte)'X', fixCrc: false);
        Assert.Contains("Not a Compass bitstream", ex.Message);
        Assert.Equal(CompassFormatErrorKind.Malformed, ex.Kind);
        Assert.Equal(0, ex.ByteOffset);
        Assert.Contains("Not a Compass", Assert.Throws<CompassFormatException>(() => ReadAll(new MemoryStream("PK"u8.ToArray()))).Message);
    }

    [Fact]
    public void UnsupportedFormatVersion()
    {
        var ex = ReadEdited(b => b[4] = 3, fixCrc: false);
        Assert.Contains("format version 3", ex.Message);
        Assert.Equal(CompassFormatErrorKind.UnsupportedVersion, ex.Kind);
        Assert.Equal(4, ex.ByteOffset);
    }

    [Fact]
    public void UnknownEntropyPathVersionIsRefused()
    {
        var ex = ReadEdited(b => b[5] = 3);
        Assert.Contains("entropy-path version 3", ex.Message);
        Assert.Equal(CompassFormatErrorKind.UnsupportedVersion, ex.Kind);
        Assert.Equal(5, ex.ByteOffset);
    }

    [Fact]
    public void QualityZero()
    {
        // Layer 1's quality (at 41 + 10 + 4).
        var ex = ReadEdited(b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(55), 0));
        Assert.Contains("Layer 1 has quality 0", ex.Message);
        Assert.Equal(CompassFormatErrorKind.Malformed, ex.Kind);
        Assert.Equal(55, ex.ByteOffset);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u << 24)]
    [InlineData(uint.MaxValue)]
    public void StepOutOfRange(uint stepQ16)
    {
        // Layer 2's stepQ16 (at 41 + 20 + 6).
        var ex = ReadEdited(b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(67), stepQ16));
        Assert.Contains($"Layer 2: stepQ16 {stepQ16} is outside 1..16777215", ex.Message);
        Assert.Equal(CompassFormatErrorKind.Malformed, ex.Kind);
        Assert.Equal(67, ex.ByteOffset);
    }

    [Fact]
    public void ReservedByteSix()
    {
        var ex = ReadEdited(b => b[6] = 3);
        Assert.Contains("reserved in format version 2", ex.Message);
        Assert.Equal(6, ex.ByteOffset);
    }

    [Fact]
    public void AMetadataFlagWithoutItsChunkIsAnError()
    {
        // The flag makes the reader take the first layer chunk for the metadata chunk, whose CRC (marker 0xFF) cannot match.
        var ex = ReadEdited(b => b[7] = 2);
        Assert.StartsWith("Metadata chunk", ex.Message);
        Assert.NotEqual(CompassFormatErrorKind.Truncated, ex.Kind);
    }

    [Fact]
    public void NonZeroFlags()
    {
        var ex = ReadEdited(b => b[7] = 0x80);
        Assert.Contains("0x80", ex.Message);
        Assert.Equal(7, ex.ByteOffset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(255)]
    public void LayerCountOutOfRange(byte count)
    {
        var ex = ReadEdited(b => b[40] = count, fixCrc: false);
        Assert.Contains($"declares {count} layers", ex.Message);
        Assert.Equal(40, ex.ByteOffset);
    }

    [Fact]
    public void InvalidPlanNamesTheLayerAndItsOffset()
    {
        // Layer 2 (at 41 + 20) becomes 20x40, narrower than layer 1 (24x20).
        var ex = ReadEdited(b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(61), 20));
        Assert.Contains("Invalid layer plan", ex.Message);
        Assert.Contains("Layer 2 (20x40)", ex.Message);
        Assert.Equal(61, ex.ByteOffset);
    }

    [Fact]
    public void PlanAboveTheReadersLimits()
    {
        var (bytes, _, _) = Small();
        var limits = new BitstreamLimits { Plan = new LayerPlanLimits { MaxLayers = 2 } };
        var ex = Assert.Throws<CompassFormatException>(() => ReadAll(new MemoryStream(bytes), limits));
        Assert.Contains("at most 2 layers, got 3", ex.Message);
        Assert.Equal(40, ex.ByteOffset);
    }

    [Fact]
    public void HeaderCrcMismatch()
    {
        var ex = ReadEdited(b => b[6] ^= 1, fixCrc: false);
        Assert.Contains("Header CRC mismatch", ex.Message);
        Assert.Equal(CompassFormatErrorKind.Corrupt, ex.Kind);
        Assert.Equal(41 + 30, ex.ByteOffset);
    }

    [Fact]
    public void ZLengthBeyondThePayload()
    {
        var header = Header("16x16");
        byte[] bytes = [.. BitstreamWriter.ToArray(header, [new LayerPayload(default, default)])[..header.Size], .. Chunk(0, [5, 0, 0, 0, 1, 2, 3, 4])];
        var ex = Assert.Throws<CompassFormatException>(() => ReadAll(new MemoryStream(bytes)));
        Assert.Contains("z length 5 exceeds the 4 bytes", ex.Message);
        Assert.Equal(header.Size + 8, ex.ByteOffset);
        Assert.NotNull(BitstreamInspector.Inspect(new MemoryStream(bytes)).Error);
    }

    [Fact]
    public void PayloadShorterThanTheZLength()
    {
        var header = Header("16x16");
        byte[] bytes = [.. BitstreamWriter.ToArray(header, [new LayerPayload(default, default)])[..header.Size], .. Chunk(0, [0, 0, 0])];
        var ex = Assert.Throws<CompassFormatException>(() => ReadAll(new MemoryStream(bytes)));
        Assert.Contains("payload length 3 is below the minimum of 4", ex.Message);
    }

    [Fact]
    public void ChunkCrcMismatchNamesTheLayer()
    {
        var (bytes, header, layers) = Small();
        long[] ends = ChunkEnds(header, layers);
        bytes[ends[0] + 8 + 4] ^= 0x10; // first z byte of layer 1
        using var reader = new BitstreamReader(new MemoryStream(bytes));
        Assert.NotNull(reader.ReadLayer());
        var ex = Assert.Throws<CompassFormatException>(() => reader.ReadLayer());
        Assert.StartsWith("Layer 1: chunk CRC mismatch", ex.Message);
        Assert.Equal(ends[0] + 4, ex.ByteOffset);
        Assert.False(reader.IsTruncated);
    }

    [Fact]
    public void ModelMismatchIsAFormatError()
    {
        var (bytes, header, _) = Small();
        header.EnsureModel(Model);
        var other = ModelIdentity.Compute("another bundle"u8);
        var ex = Assert.Throws<CompassFormatException>(() => header.EnsureModel(other));
        Assert.Contains(other.ToString(), ex.Message);
        Assert.Contains(Model.ToString(), ex.Message);
        Assert.Equal(8, ex.ByteOffset);
    }
}
