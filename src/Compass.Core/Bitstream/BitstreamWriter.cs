using System.Buffers.Binary;
using System.IO.Hashing;
using Compass.Imaging;

namespace Compass.Bitstream;

/// <summary>
/// Writes a Compass bitstream to a stream: the header, then one chunk per layer of the plan, in order.
/// Call <see cref="Complete"/> (or <see cref="CompleteAsync"/>) after the last layer: it checks that every
/// layer was written and flushes. Nothing is buffered beyond one 12-byte chunk head, so layers can be
/// sent as soon as they are encoded.
/// </summary>
/// <remarks>
/// Misuse (a layer out of order, too many layers, completing early, a payload above the
/// <see cref="BitstreamLimits"/>) throws <see cref="InvalidOperationException"/> or
/// <see cref="ArgumentException"/>; the writer never produces a stream its reader would reject.
/// Disposing without <see cref="Complete"/> does not throw (so it cannot hide an exception already on its
/// way out of a <c>using</c> block); it leaves a truncated stream, which readers report as such.
/// Not thread-safe.
/// </remarks>
public sealed class BitstreamWriter : IDisposable, IAsyncDisposable
{
    private const int ChunkPrefixSize = BitstreamFormat.ChunkHeadSize + BitstreamFormat.ZLengthSize;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly BitstreamLimits _limits;
    private readonly byte[] _scratch = new byte[ChunkPrefixSize];
    private readonly Crc32 _crc = new();
    private byte[]? _pendingHeader;
    private bool _disposed;

    /// <summary>Creates a writer; the header is written with the first layer.</summary>
    /// <param name="stream">A writable stream; it need not be seekable.</param>
    /// <param name="header">The header: model, quality and layer plan.</param>
    /// <param name="limits">Limits every written layer must respect, so the stream can be read back with the same limits;
    /// <see cref="BitstreamLimits.Default"/> when null.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="stream"/> open.</param>
    /// <exception cref="ArgumentException">The stream cannot be written, or the plan breaks <paramref name="limits"/>.</exception>
    public BitstreamWriter(Stream stream, BitstreamHeader header, BitstreamLimits? limits = null, bool leaveOpen = false)
        : this(stream, header, metadata: null, limits, leaveOpen)
    {
    }

    /// <summary>Creates a writer whose stream carries <paramref name="metadata"/> in a metadata chunk after the header.</summary>
    /// <param name="stream">A writable stream; it need not be seekable.</param>
    /// <param name="header">The header; it sets <see cref="BitstreamFlags.Metadata"/> exactly when <paramref name="metadata"/> has entries.</param>
    /// <param name="metadata">ICC profile, EXIF and XMP to carry; null or empty for none.</param>
    /// <param name="limits">Limits every written layer must respect; <see cref="BitstreamLimits.Default"/> when null.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="stream"/> open.</param>
    /// <exception cref="ArgumentException">The stream cannot be written, the plan breaks <paramref name="limits"/>, the
    /// metadata flag disagrees with <paramref name="metadata"/>, or an entry is above the chunk's limit.</exception>
    public BitstreamWriter(Stream stream, BitstreamHeader header, ImageMetadata? metadata, BitstreamLimits? limits = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(header);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }
        _limits = limits ?? BitstreamLimits.Default;
        string? planError = LayerPlan.Validate(header.Plan.Layers.AsSpan(), _limits.Plan, out _);
        if (planError is not null)
        {
            throw new ArgumentException($"The plan breaks the writer's limits: {planError}", nameof(header));
        }
        _stream = stream;
        _leaveOpen = leaveOpen;
        Header = header;
        bool carries = metadata is { IsEmpty: false };
        if (carries != header.Flags.HasFlag(BitstreamFlags.Metadata))
        {
            throw new ArgumentException(carries
                ? "The metadata needs a header with BitstreamFlags.Metadata set."
                : "The header sets BitstreamFlags.Metadata but there is no metadata to write.", nameof(header));
        }
        byte[] chunk = carries ? MetadataChunkCodec.Encode(metadata!) : [];
        _pendingHeader = new byte[header.Size + chunk.Length];
        HeaderCodec.Write(header, _pendingHeader);
        chunk.CopyTo(_pendingHeader, header.Size);
    }

    /// <summary>The header this writer writes.</summary>
    public BitstreamHeader Header { get; }

    /// <summary>Number of layers written so far; the next one must be layer <c>LayersWritten</c>.</summary>
    public int LayersWritten { get; private set; }

    /// <summary>Writes one stream with every layer of <paramref name="header"/>'s plan and returns its bytes.</summary>
    /// <param name="header">The header.</param>
    /// <param name="layers">One payload per layer of the plan, base layer first.</param>
    /// <exception cref="ArgumentException">A payload is too large.</exception>
    /// <exception cref="InvalidOperationException">The number of payloads differs from the plan's layer count.</exception>
    public static byte[] ToArray(BitstreamHeader header, IEnumerable<LayerPayload> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        using var memory = new MemoryStream();
        using (var writer = new BitstreamWriter(memory, header, leaveOpen: true))
        {
            foreach (var layer in layers)
            {
                writer.WriteLayer(writer.LayersWritten, layer);
            }
            writer.Complete();
        }
        return memory.ToArray();
    }

    /// <summary>Writes layer <paramref name="layerIndex"/> (writing the header first if needed).</summary>
    /// <param name="layerIndex">The layer's index: must equal <see cref="LayersWritten"/>, so layers go in order.</param>
    /// <param name="payload">The layer's z and y streams.</param>
    /// <exception cref="InvalidOperationException">The layer is out of order, all layers were written, or the writer was completed.</exception>
    /// <exception cref="ArgumentException">The payload exceeds the limit for the layer's size.</exception>
    public void WriteLayer(int layerIndex, LayerPayload payload)
    {
        PrepareLayer(layerIndex, payload);
        if (_pendingHeader is { } headerBytes)
        {
            _stream.Write(headerBytes);
            _pendingHeader = null;
        }
        _stream.Write(_scratch);
        _stream.Write(payload.ZStream.Span);
        if (!payload.AlphaStream.IsEmpty)
        {
            _stream.Write(AlphaLength(payload));
            _stream.Write(payload.AlphaStream.Span);
        }
        _stream.Write(payload.YStream.Span);
        LayersWritten++;
    }

    /// <summary>Asynchronous <see cref="WriteLayer"/>.</summary>
    /// <param name="layerIndex">The layer's index: must equal <see cref="LayersWritten"/>, so layers go in order.</param>
    /// <param name="payload">The layer's z and y streams.</param>
    /// <param name="cancellationToken">Cancels the write; the stream is then incomplete.</param>
    /// <exception cref="InvalidOperationException">The layer is out of order, all layers were written, or the writer was completed.</exception>
    /// <exception cref="ArgumentException">The payload exceeds the limit for the layer's size.</exception>
    public async ValueTask WriteLayerAsync(int layerIndex, LayerPayload payload, CancellationToken cancellationToken = default)
    {
        PrepareLayer(layerIndex, payload);
        if (_pendingHeader is { } headerBytes)
        {
            await _stream.WriteAsync(headerBytes, cancellationToken).ConfigureAwait(false);
            _pendingHeader = null;
        }
        await _stream.WriteAsync(_scratch, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(payload.ZStream, cancellationToken).ConfigureAwait(false);
        if (!payload.AlphaStream.IsEmpty)
        {
            await _stream.WriteAsync(AlphaLength(payload), cancellationToken).ConfigureAwait(false);
            await _stream.WriteAsync(payload.AlphaStream, cancellationToken).ConfigureAwait(false);
        }
        await _stream.WriteAsync(payload.YStream, cancellationToken).ConfigureAwait(false);
        LayersWritten++;
    }

    /// <summary>Checks that every layer of the plan was written and flushes the stream.</summary>
    /// <exception cref="InvalidOperationException">Fewer layers than the plan holds were written.</exception>
    public void Complete()
    {
        ThrowIfIncomplete();
        _stream.Flush();
    }

    /// <summary>Asynchronous <see cref="Complete"/>.</summary>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <exception cref="InvalidOperationException">Fewer layers than the plan holds were written.</exception>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfIncomplete();
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes the stream unless the writer was created with <c>leaveOpen</c>. Does not complete the stream.</summary>
    public void Dispose()
    {
        _disposed = true;
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    /// <summary>Asynchronous <see cref="Dispose"/>.</summary>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return _leaveOpen ? ValueTask.CompletedTask : _stream.DisposeAsync();
    }

    /// <summary>Validates the call and fills the scratch buffer with the 12-byte chunk prefix: length, CRC, z length.</summary>
    private void PrepareLayer(int layerIndex, LayerPayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count = Header.Plan.Count;
        if (LayersWritten == count)
        {
            throw new InvalidOperationException($"All {count} layers of the plan have been written.");
        }
        if (layerIndex != LayersWritten)
        {
            throw new InvalidOperationException($"Layers must be written in order: expected layer {LayersWritten}, got {layerIndex}.");
        }
        if (payload.AlphaStream.IsEmpty == Header.Flags.HasFlag(BitstreamFlags.Alpha))
        {
            throw new ArgumentException(payload.AlphaStream.IsEmpty
                ? $"Layer {layerIndex}: the header sets BitstreamFlags.Alpha, so every layer carries an alpha plane."
                : $"Layer {layerIndex}: an alpha plane needs a header with BitstreamFlags.Alpha set.", nameof(payload));
        }
        LayerSize size = Header.Plan[layerIndex];
        long length = payload.Length;
        long max = _limits.MaxPayloadBytesFor(size);
        if (length > max)
        {
            throw new ArgumentException($"Layer {layerIndex} ({size}): the payload is {length} bytes, above the limit of {max} bytes for a layer of this size.", nameof(payload));
        }

        ChunkCodec.BeginCrc(_crc, layerIndex, (uint)length);
        Span<byte> prefix = _scratch.AsSpan(0, ChunkPrefixSize);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix, (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[BitstreamFormat.ChunkHeadSize..], (uint)payload.ZStream.Length);
        _crc.Append(prefix[BitstreamFormat.ChunkHeadSize..]);
        _crc.Append(payload.ZStream.Span);
        if (!payload.AlphaStream.IsEmpty)
        {
            _crc.Append(AlphaLength(payload));
            _crc.Append(payload.AlphaStream.Span);
        }
        _crc.Append(payload.YStream.Span);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[4..], _crc.GetCurrentHashAsUInt32());
    }

    private static byte[] AlphaLength(LayerPayload payload)
    {
        byte[] length = new byte[BitstreamFormat.ZLengthSize];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)payload.AlphaStream.Length);
        return length;
    }

    private void ThrowIfIncomplete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (LayersWritten != Header.Plan.Count)
        {
            throw new InvalidOperationException($"Only {LayersWritten} of the plan's {Header.Plan.Count} layers were written.");
        }
    }
}
