using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using Compass.Imaging;

namespace Compass.Bitstream;

/// <summary>
/// Reads a Compass bitstream front to back from any readable stream, seekable or not (a file, a socket,
/// an HTTP body): the header, then one layer at a time, so a decoder can show layer k while layer k+1
/// is still arriving.
/// </summary>
/// <remarks>
/// <para>Every field is checked against <see cref="BitstreamLimits"/> before anything is allocated, and
/// every problem (truncation, corruption, a CRC mismatch, an unsupported version, trailing bytes) is
/// reported as a <see cref="CompassFormatException"/> whose message says what was wrong and at which byte
/// offset, counted from where the reader started.</para>
/// <para>Progressive decoding: layers returned before an error stay valid. When the stream ends early,
/// <see cref="ReadLayerAsync"/> returns every complete layer and then throws an exception that starts
/// with "Bitstream truncated in layer k", and <see cref="IsTruncated"/> becomes true. To get all the
/// complete layers without handling the exception, use <see cref="ReadAvailableLayersAsync"/>:</para>
/// <code>
/// using var reader = new BitstreamReader(stream);
/// var result = await reader.ReadAvailableLayersAsync(ct);
/// foreach (var layer in result.Layers) { /* decode */ }
/// if (result.IsTruncated) { /* show result.Layers.Count of result.Header.Plan.Count layers */ }
/// </code>
/// <para>After an exception the reader is finished: further reads throw <see cref="InvalidOperationException"/>.
/// The reader never reads past the end of the bitstream except for one byte when checking for trailing
/// bytes after the last layer. Not thread-safe.</para>
/// </remarks>
public sealed class BitstreamReader : IDisposable, IAsyncDisposable
{
    private readonly OffsetReader _reader;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly BitstreamLimits _limits;
    private readonly byte[] _scratch = new byte[BitstreamFormat.ChunkHeadSize];
    private readonly Crc32 _crc = new();
    private BitstreamHeader? _header;
    private bool _finished;
    private string? _stopReason;

    /// <summary>Creates a reader over <paramref name="stream"/>, which it reads from its current position.</summary>
    /// <param name="stream">A readable stream; it need not be seekable.</param>
    /// <param name="limits">Limits for untrusted input; <see cref="BitstreamLimits.Default"/> when null.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="stream"/> open.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be read.</exception>
    public BitstreamReader(Stream stream, BitstreamLimits? limits = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }
        _stream = stream;
        _reader = new OffsetReader(stream);
        _limits = limits ?? BitstreamLimits.Default;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The header, once read (by <see cref="ReadHeaderAsync"/> or the first layer read); null before.</summary>
    public BitstreamHeader? Header => _header;

    /// <summary>
    /// The ICC profile, EXIF and XMP of the metadata chunk (read with the header when <see cref="BitstreamFlags.Metadata"/>
    /// is set); <see cref="ImageMetadata.Empty"/> before the header is read and for streams without the chunk.
    /// </summary>
    public ImageMetadata Metadata { get; private set; } = ImageMetadata.Empty;

    /// <summary>Number of layers returned so far; the next layer read is layer <c>LayersRead</c>.</summary>
    public int LayersRead { get; private set; }

    /// <summary>Bytes consumed from the stream so far (the offset of the next byte).</summary>
    public long Position => _reader.Position;

    /// <summary>Whether reading stopped because the stream ended before the last layer was complete.</summary>
    public bool IsTruncated { get; private set; }

    /// <summary>Reads and validates the header.</summary>
    /// <param name="cancellationToken">Cancels the read; the reader is then unusable.</param>
    /// <exception cref="CompassFormatException">The header is malformed, corrupt, truncated or unsupported.</exception>
    /// <exception cref="InvalidOperationException">The header was already read, or the reader stopped at an earlier error.</exception>
    public ValueTask<BitstreamHeader> ReadHeaderAsync(CancellationToken cancellationToken = default) =>
        ReadHeaderCoreAsync(sync: false, cancellationToken);

    /// <summary>Synchronous <see cref="ReadHeaderAsync"/>.</summary>
    /// <exception cref="CompassFormatException">The header is malformed, corrupt, truncated or unsupported.</exception>
    /// <exception cref="InvalidOperationException">The header was already read, or the reader stopped at an earlier error.</exception>
    public BitstreamHeader ReadHeader() => RunSync(ReadHeaderCoreAsync(sync: true, default));

    /// <summary>
    /// Reads the next layer (reading the header first if needed). Returns null after the last layer,
    /// once it has checked that nothing follows it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read; the reader is then unusable.</param>
    /// <returns>The next layer's payload, or null at the clean end of the stream.</returns>
    /// <exception cref="CompassFormatException">The stream is truncated (message starts with "Bitstream truncated in layer k"),
    /// a chunk is corrupt or exceeds the limits, or bytes follow the last layer.</exception>
    /// <exception cref="InvalidOperationException">The reader stopped at an earlier error.</exception>
    public ValueTask<LayerPayload?> ReadLayerAsync(CancellationToken cancellationToken = default) =>
        ReadLayerCoreAsync(sync: false, cancellationToken);

    /// <summary>Synchronous <see cref="ReadLayerAsync"/>.</summary>
    /// <returns>The next layer's payload, or null at the clean end of the stream.</returns>
    /// <exception cref="CompassFormatException">See <see cref="ReadLayerAsync"/>.</exception>
    /// <exception cref="InvalidOperationException">The reader stopped at an earlier error.</exception>
    public LayerPayload? ReadLayer() => RunSync(ReadLayerCoreAsync(sync: true, default));

    /// <summary>
    /// Yields the layers one by one as they arrive, for <c>await foreach</c>; ends after the last layer
    /// or throws <see cref="CompassFormatException"/> after yielding every complete layer.
    /// </summary>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public async IAsyncEnumerable<LayerPayload> ReadLayersAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadLayerAsync(cancellationToken).ConfigureAwait(false) is { } layer)
        {
            yield return layer;
        }
    }

    /// <summary>
    /// Reads every remaining layer and stops at the first problem instead of throwing, so a caller can
    /// decode what arrived intact. The header must be readable: a problem there still throws.
    /// </summary>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The header, the complete layers before any problem, and the problem, if any.</returns>
    /// <exception cref="CompassFormatException">The header is malformed, corrupt, truncated or unsupported.</exception>
    public ValueTask<BitstreamReadResult> ReadAvailableLayersAsync(CancellationToken cancellationToken = default) =>
        ReadAvailableCoreAsync(sync: false, cancellationToken);

    /// <summary>Synchronous <see cref="ReadAvailableLayersAsync"/>.</summary>
    /// <returns>The header, the complete layers before any problem, and the problem, if any.</returns>
    /// <exception cref="CompassFormatException">The header is malformed, corrupt, truncated or unsupported.</exception>
    public BitstreamReadResult ReadAvailableLayers() => RunSync(ReadAvailableCoreAsync(sync: true, default));

    /// <summary>Disposes the stream unless the reader was created with <c>leaveOpen</c>.</summary>
    public void Dispose()
    {
        _finished = true;
        _stopReason ??= "it was disposed";
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    /// <summary>Disposes the stream asynchronously unless the reader was created with <c>leaveOpen</c>.</summary>
    public ValueTask DisposeAsync()
    {
        _finished = true;
        _stopReason ??= "it was disposed";
        return _leaveOpen ? ValueTask.CompletedTask : _stream.DisposeAsync();
    }

    // The *CoreAsync methods serve both APIs: with sync = true every await is on a completed task
    // (the stream's synchronous methods are used), so RunSync never blocks on real asynchrony.
    private static T RunSync<T>(ValueTask<T> task)
    {
        Debug.Assert(task.IsCompleted, "sync path must complete synchronously");
        return task.GetAwaiter().GetResult();
    }

    private async ValueTask<BitstreamHeader> ReadHeaderCoreAsync(bool sync, CancellationToken cancellationToken)
    {
        ThrowIfFinished();
        if (_header is not null)
        {
            throw new InvalidOperationException("The header has already been read.");
        }
        try
        {
            var result = await HeaderCodec.ReadAsync(_reader, _limits, requireValidCrc: true, sync, cancellationToken).ConfigureAwait(false);
            if (result.Header.Flags.HasFlag(BitstreamFlags.Metadata))
            {
                Metadata = await MetadataChunkCodec.ReadAsync(_reader, sync, cancellationToken).ConfigureAwait(false);
            }
            return _header = result.Header;
        }
        catch (Exception ex)
        {
            Stop(ex);
            throw;
        }
    }

    private async ValueTask<LayerPayload?> ReadLayerCoreAsync(bool sync, CancellationToken cancellationToken)
    {
        var header = _header ?? await ReadHeaderCoreAsync(sync, cancellationToken).ConfigureAwait(false);
        ThrowIfFinished();
        try
        {
            int count = header.Plan.Count;
            if (LayersRead == count)
            {
                // Everything was read; one more byte means the stream is longer than the header says.
                int extra = await _reader.ReadAsync(_scratch.AsMemory(0, 1), sync, cancellationToken).ConfigureAwait(false);
                if (extra > 0)
                {
                    throw BitstreamErrors.TrailingBytes(count, _reader.Position - 1);
                }
                _finished = true;
                _stopReason = "it reached the end of the bitstream";
                return null;
            }

            int layer = LayersRead;
            var head = await ChunkCodec.ReadHeadAsync(_reader, _scratch, header, layer, _limits, sync, cancellationToken).ConfigureAwait(false)
                ?? throw BitstreamErrors.TruncatedLayer(layer, count, _reader.Position, $"the stream ended before the layer's chunk; {layer} complete layers precede it");

            byte[] payload = await ReadPayloadAsync(head.PayloadLength, layer, count, sync, cancellationToken).ConfigureAwait(false);

            ChunkCodec.BeginCrc(_crc, layer, (uint)head.PayloadLength);
            _crc.Append(payload);
            uint computed = _crc.GetCurrentHashAsUInt32();
            if (computed != head.StoredCrc)
            {
                throw new CompassFormatException(CompassFormatErrorKind.Corrupt, $"Layer {layer}: chunk CRC mismatch, stored 0x{head.StoredCrc:x8}, computed 0x{computed:x8}; the layer is corrupt", head.Offset + 4);
            }
            long payloadOffset = head.Offset + BitstreamFormat.ChunkHeadSize;
            var zError = ChunkCodec.ReadZLength(payload, payload.Length, layer, payloadOffset, out int zLength);
            if (zError is not null)
            {
                throw zError;
            }

            int zEnd = BitstreamFormat.ZLengthSize + zLength;
            ReadOnlyMemory<byte> alpha = default;
            if (header.Flags.HasFlag(BitstreamFlags.Alpha))
            {
                // u32 alpha length A, then A bytes, between z and y.
                if (payload.Length - zEnd < BitstreamFormat.ZLengthSize)
                {
                    throw new CompassFormatException($"Layer {layer}: no room for the alpha length after the {zLength}-byte z stream", payloadOffset + zEnd);
                }
                uint alphaLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(zEnd));
                if (alphaLength == 0 || alphaLength > payload.Length - zEnd - BitstreamFormat.ZLengthSize)
                {
                    throw new CompassFormatException($"Layer {layer}: alpha length {alphaLength} is not 1 to the {payload.Length - zEnd - BitstreamFormat.ZLengthSize} bytes after it", payloadOffset + zEnd);
                }
                alpha = payload.AsMemory(zEnd + BitstreamFormat.ZLengthSize, (int)alphaLength);
                zEnd += BitstreamFormat.ZLengthSize + (int)alphaLength;
            }

            LayersRead++;
            return new LayerPayload(payload.AsMemory(BitstreamFormat.ZLengthSize, zLength), payload.AsMemory(zEnd)) { StreamOffset = payloadOffset, AlphaStream = alpha };
        }
        catch (Exception ex)
        {
            Stop(ex);
            throw;
        }
    }

    /// <summary>Reads exactly <paramref name="length"/> payload bytes into a new array of exactly that length.</summary>
    /// <remarks>
    /// The length is already checked against the limits, but a corrupt stream may still claim far more
    /// than it holds. Up to 1 MiB is allocated at once; longer payloads grow by doubling as bytes actually
    /// arrive, so a short stream claiming a large payload costs at most about twice what it delivered.
    /// </remarks>
    private async ValueTask<byte[]> ReadPayloadAsync(int length, int layer, int count, bool sync, CancellationToken cancellationToken)
    {
        const int FirstChunk = 1024 * 1024;
        byte[] buffer = new byte[Math.Min(length, FirstChunk)];
        int filled = 0;
        while (true)
        {
            int read = await _reader.ReadAsync(buffer.AsMemory(filled), sync, cancellationToken).ConfigureAwait(false);
            filled += read;
            if (filled < buffer.Length)
            {
                throw BitstreamErrors.TruncatedLayer(layer, count, _reader.Position, $"the stream ended inside the payload, {length - filled} of its {length} bytes missing");
            }
            if (filled == length)
            {
                return buffer;
            }
            byte[] larger = new byte[(int)Math.Min(2L * buffer.Length, length)];
            buffer.AsSpan().CopyTo(larger);
            buffer = larger;
        }
    }

    private async ValueTask<BitstreamReadResult> ReadAvailableCoreAsync(bool sync, CancellationToken cancellationToken)
    {
        var header = _header ?? await ReadHeaderCoreAsync(sync, cancellationToken).ConfigureAwait(false);
        var layers = new List<LayerPayload>(header.Plan.Count - LayersRead);
        try
        {
            while (await ReadLayerCoreAsync(sync, cancellationToken).ConfigureAwait(false) is { } layer)
            {
                layers.Add(layer);
            }
            return new BitstreamReadResult(header, layers, error: null, isTruncated: false);
        }
        catch (CompassFormatException ex)
        {
            return new BitstreamReadResult(header, layers, ex, IsTruncated);
        }
    }

    private void Stop(Exception ex)
    {
        _finished = true;
        _stopReason = $"it stopped at an earlier error: {ex.Message}";
        IsTruncated = ex is CompassFormatException { IsTruncation: true };
    }

    private void ThrowIfFinished()
    {
        if (_finished)
        {
            throw new InvalidOperationException($"The reader cannot read further: {_stopReason}");
        }
    }
}
