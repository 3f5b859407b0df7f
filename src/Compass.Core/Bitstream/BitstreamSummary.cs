using System.Globalization;
using System.Text;
using Compass.Imaging;

namespace Compass.Bitstream;

/// <summary>The result of <see cref="BitstreamInspector.Inspect"/>: what a bitstream holds and what is wrong with it.</summary>
public sealed class BitstreamSummary
{
    internal BitstreamSummary(HeaderCodec.ReadResult header, IReadOnlyList<LayerChunkSummary> layers, long totalBytes, long trailingBytes, CompassFormatException? error, MetadataSummary metadata)
        : this(header.Header, header.CrcValid, layers, totalBytes, trailingBytes, error)
    {
        Metadata = metadata.Entries;
        MetadataChunkBytes = metadata.ChunkBytes;
    }

    internal BitstreamSummary(BitstreamHeader? header, bool headerCrcValid, IReadOnlyList<LayerChunkSummary> layers, long totalBytes, long trailingBytes, CompassFormatException? error)
    {
        Header = header;
        HeaderCrcValid = headerCrcValid;
        Layers = layers;
        TotalBytes = totalBytes;
        TrailingBytes = trailingBytes;
        Error = error;
        IsTruncated = error is { IsTruncation: true };
    }

    /// <summary>The header, or null when it could not be read (see <see cref="Error"/>).</summary>
    public BitstreamHeader? Header { get; }

    /// <summary>Whether the header's CRC matched. When false, <see cref="Header"/> holds the fields as stored, which may be corrupt.</summary>
    public bool HeaderCrcValid { get; }

    /// <summary>Size of the header in bytes; 0 when it could not be read.</summary>
    public int HeaderBytes => Header?.Size ?? 0;

    /// <summary>
    /// The entries of the metadata chunk (ICC profile, EXIF, XMP; header flag <see cref="BitstreamFlags.Metadata"/>),
    /// read and checked as the reader does; <see cref="ImageMetadata.Empty"/> when the stream has no metadata chunk or
    /// it could not be read (see <see cref="Error"/>).
    /// </summary>
    public ImageMetadata Metadata { get; } = ImageMetadata.Empty;

    /// <summary>Size of the metadata chunk in bytes (8-byte head and body); 0 when there is none or it could not be read.</summary>
    public long MetadataChunkBytes { get; }

    /// <summary>The chunks found, in order, each with its sizes and CRC status.</summary>
    public IReadOnlyList<LayerChunkSummary> Layers { get; }

    /// <summary>Bytes read from the stream, trailing bytes included.</summary>
    public long TotalBytes { get; }

    /// <summary>Bytes after the last layer's chunk (a valid stream has none).</summary>
    public long TrailingBytes { get; }

    /// <summary>The problem that stopped inspection (unreadable header, a bad length, truncation, trailing bytes), or null. CRC mismatches are not errors here: see <see cref="HeaderCrcValid"/> and <see cref="LayerChunkSummary.CrcValid"/>.</summary>
    public CompassFormatException? Error { get; }

    /// <summary>Whether the stream ended before the last layer was complete.</summary>
    public bool IsTruncated { get; }

    /// <summary>Whether a <see cref="BitstreamReader"/> would read the whole stream without error.</summary>
    public bool IsValid => Error is null && HeaderCrcValid && Header is not null && Layers.Count == Header.Plan.Count && Layers.All(l => l.CrcValid);

    /// <summary>A human-readable report: header fields, then one line per layer, then the verdict.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        if (Header is { } h)
        {
            text.AppendLine(culture, $"format v{h.Version}, entropy path v{h.EntropyPathVersion}, quality {h.Quality}, {h.Plan.Count} layers, header {HeaderBytes} bytes, CRC {(HeaderCrcValid ? "ok" : "MISMATCH")}");
            text.AppendLine(culture, $"model {h.ModelId}");
        }
        foreach (var layer in Layers)
        {
            string split = layer.ZBytes is { } z ? $"z {z} + y {layer.YBytes} bytes" : "z/y split unknown";
            text.AppendLine(culture, $"layer {layer.Index} {layer.Size}: {layer.ChunkBytes} bytes ({split}), {layer.BitsPerPixel:0.####} bpp, CRC {(layer.CrcValid ? "ok" : "MISMATCH")}");
        }
        text.Append(culture, $"total {TotalBytes} bytes: ");
        text.Append(IsValid ? "valid" : Error?.Message ?? "CRC errors");
        return text.ToString();
    }
}

/// <summary>One layer's chunk as seen by <see cref="BitstreamInspector"/>.</summary>
/// <param name="Index">The layer index (0 = base layer).</param>
/// <param name="Size">The layer's size from the plan.</param>
/// <param name="Offset">Byte offset of the chunk from the start of the stream.</param>
/// <param name="PayloadBytes">Payload length (z length field, z and y streams).</param>
/// <param name="ZBytes">Bytes of the z stream; null when the CRC failed (the length field is then untrustworthy).</param>
/// <param name="YBytes">Bytes of the y stream; null when the CRC failed.</param>
/// <param name="StoredCrc">The CRC-32 stored in the chunk.</param>
/// <param name="ComputedCrc">The CRC-32 computed from the bytes read.</param>
public sealed record LayerChunkSummary(int Index, LayerSize Size, long Offset, int PayloadBytes, int? ZBytes, int? YBytes, uint StoredCrc, uint ComputedCrc)
{
    /// <summary>Whether the stored and computed CRCs match.</summary>
    public bool CrcValid => StoredCrc == ComputedCrc;

    /// <summary>Bytes of the whole chunk: 8-byte head plus payload.</summary>
    public long ChunkBytes => BitstreamFormat.ChunkHeadSize + (long)PayloadBytes;

    /// <summary>Bits of the chunk per pixel of the layer.</summary>
    public double BitsPerPixel => ChunkBytes * 8.0 / Size.Pixels;
}

/// <summary>What the inspector found in a metadata chunk: its entries and its size in the stream.</summary>
internal readonly record struct MetadataSummary(ImageMetadata Entries, long ChunkBytes);
