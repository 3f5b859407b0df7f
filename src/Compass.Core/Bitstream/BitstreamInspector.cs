using System.Diagnostics;
using System.IO.Hashing;
using Compass.Imaging;

namespace Compass.Bitstream;

/// <summary>
/// Describes a bitstream for tools (<c>compass info</c>): header fields, per-layer byte sizes and CRC
/// status. Unlike <see cref="BitstreamReader"/> it does not stop at a CRC mismatch; it reports it and
/// goes on, and it streams payloads through the CRC with a fixed buffer instead of holding them.
/// </summary>
public static class BitstreamInspector
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Inspects the bitstream in <paramref name="stream"/> from its current position to its end.</summary>
    /// <param name="stream">A readable stream; it need not be seekable.</param>
    /// <param name="limits">Limits for untrusted input; <see cref="BitstreamLimits.Default"/> when null.</param>
    /// <returns>What was found. Never throws <see cref="CompassFormatException"/>: problems are in <see cref="BitstreamSummary.Error"/>.</returns>
    public static BitstreamSummary Inspect(Stream stream, BitstreamLimits? limits = null)
    {
        var task = InspectCoreAsync(stream, limits, sync: true, default);
        Debug.Assert(task.IsCompleted, "sync path must complete synchronously");
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Asynchronous <see cref="Inspect"/>.</summary>
    /// <param name="stream">A readable stream; it need not be seekable.</param>
    /// <param name="limits">Limits for untrusted input; <see cref="BitstreamLimits.Default"/> when null.</param>
    /// <param name="cancellationToken">Cancels the inspection.</param>
    /// <returns>What was found. Never throws <see cref="CompassFormatException"/>: problems are in <see cref="BitstreamSummary.Error"/>.</returns>
    public static ValueTask<BitstreamSummary> InspectAsync(Stream stream, BitstreamLimits? limits = null, CancellationToken cancellationToken = default) =>
        InspectCoreAsync(stream, limits, sync: false, cancellationToken);

    private static async ValueTask<BitstreamSummary> InspectCoreAsync(Stream stream, BitstreamLimits? limits, bool sync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= BitstreamLimits.Default;
        var reader = new OffsetReader(stream);
        var layers = new List<LayerChunkSummary>();

        HeaderCodec.ReadResult header;
        try
        {
            header = await HeaderCodec.ReadAsync(reader, limits, requireValidCrc: false, sync, cancellationToken).ConfigureAwait(false);
        }
        catch (CompassFormatException ex)
        {
            return new BitstreamSummary(null, false, layers, reader.Position, 0, ex);
        }

        byte[] buffer = new byte[BufferSize];
        var crc = new Crc32();
        int count = header.Header.Plan.Count;
        var metadata = new MetadataSummary(ImageMetadata.Empty, 0);
        try
        {
            if (header.Header.Flags.HasFlag(BitstreamFlags.Metadata))
            {
                // Checked like the reader checks it (CRC included): bounded by MetadataChunkCodec.MaxBodyBytes.
                long start = reader.Position;
                var entries = await MetadataChunkCodec.ReadAsync(reader, sync, cancellationToken).ConfigureAwait(false);
                metadata = new MetadataSummary(entries, reader.Position - start);
            }
            for (int layer = 0; layer < count; layer++)
            {
                var head = await ChunkCodec.ReadHeadAsync(reader, buffer, header.Header, layer, limits, sync, cancellationToken).ConfigureAwait(false)
                    ?? throw BitstreamErrors.TruncatedLayer(layer, count, reader.Position, $"the stream ended before the layer's chunk; {layer} complete layers precede it");
                layers.Add(await InspectPayloadAsync(reader, buffer, crc, header.Header, layer, head, sync, cancellationToken).ConfigureAwait(false));
            }

            // Count (not keep) whatever follows the last chunk; exact reads are not needed for that.
            long trailing = 0;
            long trailingStart = reader.Position;
            int read;
            while ((read = await ReadSomeAsync(stream, buffer, sync, cancellationToken).ConfigureAwait(false)) > 0)
            {
                trailing += read;
            }
            var error = trailing > 0 ? BitstreamErrors.TrailingBytes(count, trailingStart) : null;
            return new BitstreamSummary(header, layers, trailingStart + trailing, trailing, error, metadata);
        }
        catch (CompassFormatException ex)
        {
            return new BitstreamSummary(header, layers, reader.Position, 0, ex, metadata);
        }
    }

    private static async ValueTask<int> ReadSomeAsync(Stream stream, byte[] buffer, bool sync, CancellationToken cancellationToken) =>
        sync ? stream.Read(buffer) : await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);

    private static async ValueTask<LayerChunkSummary> InspectPayloadAsync(
        OffsetReader reader, byte[] buffer, Crc32 crc, BitstreamHeader header, int layer, ChunkCodec.Head head, bool sync, CancellationToken cancellationToken)
    {
        ChunkCodec.BeginCrc(crc, layer, (uint)head.PayloadLength);
        long payloadOffset = head.Offset + BitstreamFormat.ChunkHeadSize;
        int remaining = head.PayloadLength;
        int zLength = 0;
        long? alphaBytes = header.Flags.HasFlag(BitstreamFlags.Alpha) ? null : 0;
        CompassFormatException? zError = null;
        bool first = true;
        while (remaining > 0)
        {
            int want = Math.Min(remaining, buffer.Length);
            int read = await reader.ReadAsync(buffer.AsMemory(0, want), sync, cancellationToken).ConfigureAwait(false);
            if (read < want)
            {
                throw BitstreamErrors.TruncatedLayer(layer, header.Plan.Count, reader.Position,
                    $"the stream ended inside the payload, {remaining - read} of its {head.PayloadLength} bytes missing");
            }
            if (first)
            {
                zError = ChunkCodec.ReadZLength(buffer, head.PayloadLength, layer, payloadOffset, out zLength);
                int alphaAt = BitstreamFormat.ZLengthSize + zLength;
                if (alphaBytes is null && zError is null && alphaAt + BitstreamFormat.ZLengthSize <= read)
                    alphaBytes = BitstreamFormat.ZLengthSize + (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(alphaAt));
                first = false;
            }
            crc.Append(buffer.AsSpan(0, read));
            remaining -= read;
        }

        uint computed = crc.GetCurrentHashAsUInt32();
        bool crcValid = computed == head.StoredCrc;
        if (crcValid && zError is not null)
        {
            throw zError; // the chunk is intact, so the encoder wrote a malformed payload
        }
        // With a bad CRC the z length is untrustworthy: report the split only for intact chunks.
        int? z = crcValid ? zLength : null;
        // y: what follows z and (with alpha) the alpha plane; unknown when the alpha length lies beyond the first read.
        int? y = crcValid && alphaBytes is long a ? (int)(head.PayloadLength - BitstreamFormat.ZLengthSize - zLength - a) : null;
        return new LayerChunkSummary(layer, header.Plan[layer], head.Offset, head.PayloadLength, z, y, head.StoredCrc, computed);
    }
}
