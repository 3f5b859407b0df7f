using System.Buffers.Binary;
using System.Diagnostics;
using Compass.Bitstream;
using CsCheck;
using static Compass.Tests.Bitstream.BitstreamTestData;

namespace Compass.Tests.Bitstream;

public class BitstreamTruncationTests
{
    [Fact]
    public void TruncationAtEveryOffsetKeepsTheCompleteLayersAndNamesTheCut()
    {
        var (bytes, header, layers) = Small();
        long[] ends = ChunkEnds(header, layers);
        Assert.Equal(bytes.Length, ends[^1]);

        for (int cut = 0; cut < bytes.Length; cut++)
        {
            byte[] prefix = bytes[..cut];
            using var reader = new BitstreamReader(new TrickleStream(prefix, maxPerRead: 3));
            if (cut < header.Size)
            {
                var headerError = Assert.Throws<CompassFormatException>(() => reader.ReadHeader());
                Assert.StartsWith("Bitstream truncated in the header", headerError.Message);
                Assert.Equal(CompassFormatErrorKind.Truncated, headerError.Kind);
                Assert.Equal(cut, headerError.ByteOffset);
                Assert.True(reader.IsTruncated);
                continue;
            }

            int complete = ends.Count(end => end <= cut);
            for (int i = 0; i < complete; i++)
            {
                AssertSameLayer(layers[i], reader.ReadLayer());
            }
            var ex = Assert.Throws<CompassFormatException>(() => reader.ReadLayer());
            Assert.StartsWith($"Bitstream truncated in layer {complete} of 3", ex.Message);
            Assert.Contains($"(at byte {cut})", ex.Message);
            Assert.Equal(cut, ex.ByteOffset);
            Assert.True(reader.IsTruncated);
            Assert.Throws<InvalidOperationException>(() => reader.ReadLayer());

            var available = new BitstreamReader(new MemoryStream(prefix)).ReadAvailableLayers();
            Assert.Equal(complete, available.Layers.Count);
            Assert.True(available.IsTruncated);
            Assert.False(available.IsComplete);
            Assert.Equal(ex.Message, available.Error!.Message);

            var summary = BitstreamInspector.Inspect(new MemoryStream(prefix));
            Assert.True(summary.IsTruncated);
            Assert.Equal(complete, summary.Layers.Count);
        }
    }

    [Fact]
    public async Task TruncationAsyncReportsTheSameAsSync()
    {
        var (bytes, _, layers) = Small();
        var result = await new BitstreamReader(new TrickleStream(bytes[..^1], 1)).ReadAvailableLayersAsync();
        Assert.Equal(layers.Length - 1, result.Layers.Count);
        Assert.True(result.IsTruncated);
        Assert.StartsWith("Bitstream truncated in layer 2 of 3: the stream ended inside the payload, 1 of its", result.Error!.Message);
        Assert.Throws<CompassFormatException>(result.ThrowIfIncomplete);
    }

    [Fact]
    public void TrailingBytesAreRejectedAfterTheLastLayer()
    {
        var (bytes, _, layers) = Small();
        using var reader = new BitstreamReader(new MemoryStream([.. bytes, 0]));
        for (int i = 0; i < layers.Length; i++)
        {
            Assert.NotNull(reader.ReadLayer());
        }
        var ex = Assert.Throws<CompassFormatException>(() => reader.ReadLayer());
        Assert.Contains("after the last layer", ex.Message);
        Assert.Equal(CompassFormatErrorKind.TrailingData, ex.Kind);
        Assert.Equal(bytes.Length, ex.ByteOffset);
        Assert.False(reader.IsTruncated);

        var summary = BitstreamInspector.Inspect(new MemoryStream([.. bytes, 1, 2, 3]));
        Assert.Equal(3, summary.TrailingBytes);
        Assert.False(summary.IsValid);
        Assert.Equal(bytes.Length + 3, summary.TotalBytes);
    }
}

public class BitstreamCorruptionTests
{
    [Fact]
    public void EverySingleBitFlipIsAFormatError()
    {
        var (bytes, header, _) = Small();
        for (int bit = 0; bit < bytes.Length * 8; bit++)
        {
            byte[] corrupt = (byte[])bytes.Clone();
            corrupt[bit / 8] ^= (byte)(1 << (bit % 8));
            int offset = bit / 8;
            var ex = Assert.Throws<CompassFormatException>(() => ReadAll(new MemoryStream(corrupt)));
            Assert.NotNull(ex.ByteOffset);

            // Outside the fields that decide how much is read next, a flip can only show as a CRC mismatch.
            bool layoutField = offset < 5 || offset == 40 || IsChunkLengthField(header, offset, bytes);
            if (!layoutField)
            {
                Assert.Contains("CRC mismatch", ex.Message);
            }

            var summary = BitstreamInspector.Inspect(new MemoryStream(corrupt));
            Assert.False(summary.IsValid, $"inspector missed a flip at bit {bit}");
        }
    }

    private static bool IsChunkLengthField(BitstreamHeader header, int offset, byte[] bytes)
    {
        long chunk = header.Size;
        while (chunk < bytes.Length)
        {
            if (offset >= chunk && offset < chunk + 4)
            {
                return true;
            }
            chunk += 8 + BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)chunk));
        }
        return false;
    }

    [Fact]
    public void RandomBytesEndInSuccessOrFormatError()
    {
        var (valid, _, _) = Small();
        var timer = Stopwatch.StartNew();
        // Pure noise, noise behind a valid magic and version, and valid streams with a few random bytes overwritten.
        var noise = Gen.Byte.Array[0, 300];
        var behindMagic = noise.Select(b => (byte[])[.. "CMPS"u8, 1, .. b]);
        var mutated = Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte).Array[1, 4].Select(edits =>
        {
            byte[] copy = (byte[])valid.Clone();
            foreach (var (at, value) in edits) copy[at] = value;
            return copy;
        });
        Gen.OneOf(noise, behindMagic, mutated).Sample(bytes =>
        {
            try
            {
                ReadAll(new MemoryStream(bytes));
            }
            catch (CompassFormatException)
            {
            }
            var summary = BitstreamInspector.Inspect(new MemoryStream(bytes));
            Assert.True(summary.IsValid || summary.Error is not null || !summary.HeaderCrcValid || summary.Layers.Any(l => !l.CrcValid));
        }, iter: 5000);
        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(20), $"took {timer.Elapsed}");
    }

    [Fact]
    public void AFourGigabytePayloadClaimIsRejectedBeforeAllocating()
    {
        var header = new BitstreamHeader(Model, new Quality(1), LayerPlan.Parse("6000x4000"));
        byte[] headerBytes = BitstreamWriter.ToArray(header, [new LayerPayload(new byte[10], default)])[..header.Size];
        byte[] claim = [.. headerBytes, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 1, 2, 3];

        using var reader = new BitstreamReader(new TrickleStream(claim, 1));
        reader.ReadHeader();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<CompassFormatException>(() => reader.ReadLayer());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("payload length 4294967295 bytes exceeds the limit", ex.Message);
        Assert.Equal(CompassFormatErrorKind.LimitExceeded, ex.Kind);
        Assert.Equal(header.Size, ex.ByteOffset);
        Assert.True(allocated < 16 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void AShortStreamClaimingALargeAllowedPayloadAllocatesLittle()
    {
        // 90 MB is within the limit for a 6000x4000 layer, but only 100 bytes follow.
        var header = new BitstreamHeader(Model, new Quality(1), LayerPlan.Parse("6000x4000"));
        byte[] headerBytes = BitstreamWriter.ToArray(header, [new LayerPayload(new byte[10], default)])[..header.Size];
        byte[] claim = [.. headerBytes, .. BitConverter.GetBytes(90_000_000u), 0, 0, 0, 0, .. new byte[100]];

        using var reader = new BitstreamReader(new MemoryStream(claim));
        reader.ReadHeader();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<CompassFormatException>(() => reader.ReadLayer());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.StartsWith("Bitstream truncated in layer 0 of 1", ex.Message);
        Assert.True(ex.IsTruncation);
        Assert.True(allocated < 2 * 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void PayloadLimitsAreConfigurable()
    {
        var (bytes, _, _) = Small();
        var limits = new BitstreamLimits { MaxPayloadBytes = 16 };
        var ex = Assert.Throws<CompassFormatException>(() => ReadAll(new MemoryStream(bytes), limits));
        Assert.Contains("Layer 0 (16x16): payload length 18 bytes exceeds the limit of 16", ex.Message);
        Assert.Equal(16 * 16 * 4 + 65536, BitstreamLimits.Default.MaxPayloadBytesFor(new LayerSize(16, 16)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BitstreamLimits { MaxPayloadBytes = 0 });
    }
}
