using System.Buffers.Binary;
using System.IO.Hashing;

namespace Compass.Bitstream;

/// <summary>Pieces of the layer-chunk layout shared by the writer, the reader and the inspector.</summary>
internal static class ChunkCodec
{
    /// <summary>A chunk head as read: the payload length (already checked against the limits) and the stored CRC.</summary>
    internal readonly record struct Head(long Offset, int PayloadLength, uint StoredCrc);

    /// <summary>
    /// Reads the 8-byte head of layer <paramref name="layer"/>'s chunk into <paramref name="scratch"/>
    /// and checks the payload length against the limits. Returns null when the stream ended exactly
    /// before the chunk (the caller decides whether that is a clean end).
    /// </summary>
    public static async ValueTask<Head?> ReadHeadAsync(OffsetReader reader, byte[] scratch, BitstreamHeader header, int layer, BitstreamLimits limits, bool sync, CancellationToken cancellationToken)
    {
        long offset = reader.Position;
        int read = await reader.ReadAsync(scratch.AsMemory(0, BitstreamFormat.ChunkHeadSize), sync, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }
        if (read < BitstreamFormat.ChunkHeadSize)
        {
            throw BitstreamErrors.TruncatedLayer(layer, header.Plan.Count, reader.Position, $"the stream ended inside the chunk head, {BitstreamFormat.ChunkHeadSize - read} of its 8 bytes missing");
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(scratch);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(scratch.AsSpan(4));
        LayerSize size = header.Plan[layer];
        long max = limits.MaxPayloadBytesFor(size);
        if (length < BitstreamFormat.ZLengthSize)
        {
            throw new CompassFormatException($"Layer {layer}: payload length {length} is below the minimum of {BitstreamFormat.ZLengthSize} bytes (the z length)", offset);
        }
        if (length > max)
        {
            throw new CompassFormatException(CompassFormatErrorKind.LimitExceeded, $"Layer {layer} ({size}): payload length {length} bytes exceeds the limit of {max} bytes for a layer of this size", offset);
        }
        return new Head(offset, (int)length, crc);
    }

    /// <summary>Starts the CRC of a chunk: it covers the layer index (1 byte, not stored) and the 4 length bytes, then the payload.</summary>
    public static void BeginCrc(Crc32 crc, int layer, uint payloadLength)
    {
        crc.Reset();
        Span<byte> prefix = stackalloc byte[5];
        prefix[0] = (byte)layer;
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[1..], payloadLength);
        crc.Append(prefix);
    }

    /// <summary>
    /// Reads the z length at the start of a payload and checks it; returns null when valid, else the error.
    /// </summary>
    public static CompassFormatException? ReadZLength(ReadOnlySpan<byte> payloadStart, long payloadLength, int layer, long payloadOffset, out int zLength)
    {
        uint z = BinaryPrimitives.ReadUInt32LittleEndian(payloadStart);
        zLength = (int)Math.Min(z, int.MaxValue);
        return z > payloadLength - BitstreamFormat.ZLengthSize
            ? new CompassFormatException($"Layer {layer}: z length {z} exceeds the {payloadLength - BitstreamFormat.ZLengthSize} bytes of the payload after it", payloadOffset)
            : null;
    }
}
