using System.Buffers.Binary;
using System.IO.Hashing;
using Compass.Bitstream;

namespace Compass.Tests.Bitstream;

/// <summary>A non-seekable read-only stream over bytes that hands out at most <c>maxPerRead</c> bytes per call, like a slow socket.</summary>
internal sealed class TrickleStream(byte[] data, int maxPerRead = 1) : Stream
{
    private int _position;

    public int Reads { get; private set; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        Reads++;
        int n = Math.Min(Math.Min(buffer.Length, maxPerRead), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Yield(); // really asynchronous, like a network stream
        cancellationToken.ThrowIfCancellationRequested();
        return Read(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Builds streams and re-implements the documented layout independently of the library (docs/bitstream.md).</summary>
internal static class BitstreamTestData
{
    public static readonly ModelIdentity Model = new(Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i)).ToArray());

    public static BitstreamHeader Header(string plan = "16x16,24x20,40x40", byte quality = 3) => new(Model, new Quality(quality), LayerPlan.Parse(plan));

    /// <summary>A small 3-layer stream with distinct payloads, including an empty z stream and an empty y stream.</summary>
    public static (byte[] Bytes, BitstreamHeader Header, LayerPayload[] Layers) Small()
    {
        var header = Header();
        LayerPayload[] layers =
        [
            new(Bytes(5, 1), Bytes(9, 2)),
            new(Bytes(0, 3), Bytes(4, 4)),
            new(Bytes(7, 5), Bytes(0, 6)),
        ];
        return (BitstreamWriter.ToArray(header, layers), header, layers);
    }

    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Offsets where each chunk ends (= where the next begins), from the documented layout.</summary>
    public static long[] ChunkEnds(BitstreamHeader header, IEnumerable<LayerPayload> layers)
    {
        long offset = 45 + ((header.Version == 1 ? 4 : 10) * header.Plan.Count);
        return layers.Select(l => offset += 8 + 4 + l.ZStream.Length + l.YStream.Length).ToArray();
    }

    /// <summary>Recomputes the header CRC after a test edited header fields: CRC-32 of everything before it.</summary>
    public static void FixHeaderCrc(byte[] stream)
    {
        int crcOffset = 41 + ((stream[4] == 1 ? 4 : 10) * stream[40]);
        BinaryPrimitives.WriteUInt32LittleEndian(stream.AsSpan(crcOffset), Crc32.HashToUInt32(stream.AsSpan(0, crcOffset)));
    }

    /// <summary>A chunk for layer k built by hand: length, CRC-32 of (k, length bytes, payload), payload.</summary>
    public static byte[] Chunk(int layer, byte[] payload)
    {
        var chunk = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(chunk, (uint)payload.Length);
        var crc = new Crc32();
        crc.Append([(byte)layer]);
        crc.Append(chunk.AsSpan(0, 4));
        crc.Append(payload);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), crc.GetCurrentHashAsUInt32());
        payload.CopyTo(chunk, 8);
        return chunk;
    }

    public static void AssertSameLayer(LayerPayload expected, LayerPayload? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.ZStream.ToArray(), actual.ZStream.ToArray());
        Assert.Equal(expected.YStream.ToArray(), actual.YStream.ToArray());
    }

    /// <summary>Reads a whole stream synchronously; returns the layers or throws.</summary>
    public static List<LayerPayload> ReadAll(Stream stream, BitstreamLimits? limits = null)
    {
        using var reader = new BitstreamReader(stream, limits);
        reader.ReadHeader();
        var layers = new List<LayerPayload>();
        while (reader.ReadLayer() is { } layer)
        {
            layers.Add(layer);
        }
        return layers;
    }
}
