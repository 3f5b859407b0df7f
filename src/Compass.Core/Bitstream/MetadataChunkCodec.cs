using System.Buffers.Binary;
using System.IO.Hashing;
using Compass.Imaging;

namespace Compass.Bitstream;

/// <summary>
/// The optional metadata chunk that follows the header when header flag bit 1 is set (docs/bitstream.md, Metadata
/// chunk): the ICC profile, EXIF and XMP of the source image as typed entries. Layout, little-endian:
/// <c>u32 N</c> (body length), <c>u32 CRC-32</c> (of the marker byte 0xFF, not stored, the 4 bytes of N and the body),
/// then the body: <c>u8 count</c>, <c>count</c> x (<c>u8 type</c>, <c>u32 length</c>), then the entries' bytes in that order.
/// Types ascend strictly (each at most once); every entry is 1 byte to <see cref="MaxEntryBytes"/>.
/// </summary>
internal static class MetadataChunkCodec
{
    /// <summary>Entry type of the ICC profile.</summary>
    public const byte IccType = 1;

    /// <summary>Entry type of EXIF (the TIFF structure).</summary>
    public const byte ExifType = 2;

    /// <summary>Entry type of the XMP packet.</summary>
    public const byte XmpType = 3;

    /// <summary>Largest entry: <see cref="ImageFileMetadata.MaxEntryBytes"/> (4 MiB).</summary>
    public const int MaxEntryBytes = ImageFileMetadata.MaxEntryBytes;

    /// <summary>Largest body: one entry of each type at its largest, with the entry table.</summary>
    public const int MaxBodyBytes = 1 + (3 * EntryHeadSize) + (3 * MaxEntryBytes);

    /// <summary>Bytes of the chunk before its body: N and the CRC.</summary>
    public const int HeadSize = 8;

    // Stands where a layer chunk's CRC has the layer index (0..7), so the two kinds of chunk never check out as each other.
    private const byte CrcMarker = 0xFF;
    private const int EntryHeadSize = 5;

    // Bodies grow in steps of this as bytes arrive, so a short stream claiming a large chunk costs little memory.
    private const int ReadStep = 1 << 20;

    /// <summary>The whole chunk (head and body) for <paramref name="metadata"/>, which must not be empty.</summary>
    /// <exception cref="ArgumentException">The metadata is empty, or an entry is larger than <see cref="MaxEntryBytes"/>.</exception>
    public static byte[] Encode(ImageMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var entries = Entries(metadata);
        if (entries.Count == 0) throw new ArgumentException("There is no metadata to write.", nameof(metadata));
        foreach (var (type, data) in entries)
        {
            if (data.Length > MaxEntryBytes)
                throw new ArgumentException($"The {NameOf(type)} is {data.Length} bytes; a stream carries at most {MaxEntryBytes} per entry.", nameof(metadata));
        }
        int body = 1 + (EntryHeadSize * entries.Count) + entries.Sum(e => e.Data.Length);
        byte[] chunk = new byte[HeadSize + body];
        BinaryPrimitives.WriteUInt32LittleEndian(chunk, (uint)body);
        int at = HeadSize;
        chunk[at++] = (byte)entries.Count;
        foreach (var (type, data) in entries)
        {
            chunk[at] = type;
            BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(at + 1), (uint)data.Length);
            at += EntryHeadSize;
        }
        foreach (var (_, data) in entries)
        {
            data.CopyTo(chunk, at);
            at += data.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), Crc(chunk.AsSpan(0, 4), chunk.AsSpan(HeadSize)));
        return chunk;
    }

    /// <summary>Reads the chunk at the reader's position: the length is checked before anything is allocated, then the CRC, then the entries.</summary>
    /// <exception cref="CompassFormatException">Truncated, over the limits, corrupt (CRC) or malformed.</exception>
    public static async ValueTask<ImageMetadata> ReadAsync(OffsetReader reader, bool sync, CancellationToken cancellationToken)
    {
        long start = reader.Position;
        byte[] head = new byte[HeadSize];
        int read = await reader.ReadAsync(head, sync, cancellationToken).ConfigureAwait(false);
        if (read < HeadSize)
            throw new CompassFormatException(CompassFormatErrorKind.Truncated, $"{BitstreamErrors.TruncatedPrefix} in the metadata chunk: its head is {HeadSize - read} of 8 bytes short", reader.Position);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(head);
        if (length < 1 + EntryHeadSize)
            throw new CompassFormatException($"Metadata chunk: length {length} is below the {1 + EntryHeadSize} bytes of one entry", start);
        if (length > MaxBodyBytes)
            throw new CompassFormatException(CompassFormatErrorKind.LimitExceeded, $"Metadata chunk: length {length} bytes exceeds the limit of {MaxBodyBytes} bytes", start);

        using var body = new MemoryStream(Math.Min((int)length, ReadStep));
        byte[] step = new byte[Math.Min((int)length, ReadStep)];
        while (body.Length < length)
        {
            int want = (int)Math.Min(step.Length, length - body.Length);
            int got = await reader.ReadAsync(step.AsMemory(0, want), sync, cancellationToken).ConfigureAwait(false);
            body.Write(step, 0, got);
            if (got < want)
                throw new CompassFormatException(CompassFormatErrorKind.Truncated,
                    $"{BitstreamErrors.TruncatedPrefix} in the metadata chunk: {length - body.Length} of its {length} bytes missing", reader.Position);
        }
        byte[] bytes = body.ToArray();
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(4));
        if (Crc(head.AsSpan(0, 4), bytes) != stored)
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt, "Metadata chunk: CRC mismatch", start + 4);
        return Parse(bytes, start + HeadSize);
    }

    /// <summary>The entries of a body whose CRC has been checked.</summary>
    /// <exception cref="CompassFormatException">The entry table is malformed.</exception>
    public static ImageMetadata Parse(ReadOnlySpan<byte> body, long bodyOffset)
    {
        int count = body[0];
        if (count is < 1 or > 3)
            throw new CompassFormatException($"Metadata chunk: {count} entries (1 to 3: ICC profile, EXIF, XMP)", bodyOffset);
        long dataStart = 1 + ((long)EntryHeadSize * count);
        if (dataStart > body.Length)
            throw new CompassFormatException($"Metadata chunk: the table of {count} entries is longer than the {body.Length}-byte chunk", bodyOffset);
        byte[]? icc = null, exif = null, xmp = null;
        long at = dataStart;
        int previous = 0;
        for (int i = 0; i < count; i++)
        {
            int entry = 1 + (EntryHeadSize * i);
            byte type = body[entry];
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(body[(entry + 1)..]);
            if (type is < IccType or > XmpType)
                throw new CompassFormatException($"Metadata chunk: unknown entry type {type} (1 ICC profile, 2 EXIF, 3 XMP)", bodyOffset + entry);
            if (type <= previous)
                throw new CompassFormatException($"Metadata chunk: entry types must ascend, each once, but {NameOf(type)} follows type {previous}", bodyOffset + entry);
            if (length is 0 or > MaxEntryBytes)
                throw new CompassFormatException(CompassFormatErrorKind.LimitExceeded, $"Metadata chunk: the {NameOf(type)} is {length} bytes (1 to {MaxEntryBytes})", bodyOffset + entry + 1);
            if (at + length > body.Length)
                throw new CompassFormatException($"Metadata chunk: the {NameOf(type)} ({length} bytes) runs past the end of the chunk", bodyOffset + entry + 1);
            byte[] data = body.Slice((int)at, (int)length).ToArray();
            at += length;
            previous = type;
            switch (type)
            {
                case IccType: icc = data; break;
                case ExifType: exif = data; break;
                default: xmp = data; break;
            }
        }
        if (at != body.Length)
            throw new CompassFormatException($"Metadata chunk: {body.Length - at} bytes after its last entry", bodyOffset + at);
        return new ImageMetadata { IccProfile = icc, Exif = exif, Xmp = xmp };
    }

    private static List<(byte Type, byte[] Data)> Entries(ImageMetadata metadata)
    {
        var entries = new List<(byte, byte[])>(3);
        if (metadata.IccProfile is { Length: > 0 } icc) entries.Add((IccType, icc));
        if (metadata.Exif is { Length: > 0 } exif) entries.Add((ExifType, exif));
        if (metadata.Xmp is { Length: > 0 } xmp) entries.Add((XmpType, xmp));
        return entries;
    }

    private static uint Crc(ReadOnlySpan<byte> length, ReadOnlySpan<byte> body)
    {
        var crc = new Crc32();
        crc.Append([CrcMarker]);
        crc.Append(length);
        crc.Append(body);
        return crc.GetCurrentHashAsUInt32();
    }

    private static string NameOf(byte type) => type switch
    {
        IccType => "ICC profile",
        ExifType => "EXIF",
        XmpType => "XMP",
        _ => $"entry type {type}",
    };
}
