using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace Compass.Imaging;

/// <summary>
/// Reads the ICC profile, EXIF and XMP out of PNG, JPEG and WebP files and writes them into encoded PNG, JPEG and WebP
/// files, byte for byte, whatever library encoded the pixels. Only the container is parsed (chunks, markers), never
/// the pixels; a malformed container yields what was found before the damage, never an exception, since the pixel
/// decoder is the judge of whether the file is an image.
/// </summary>
public static class ImageFileMetadata
{
    /// <summary>Largest entry (profile, EXIF or XMP) that is read or carried: 4 MiB, beyond any camera's or editor's.</summary>
    public const int MaxEntryBytes = 4 << 20;

    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10];
    private static readonly byte[] ExifPrefix = "Exif\0\0"u8.ToArray();
    private static readonly byte[] XmpPrefix = "http://ns.adobe.com/xap/1.0/\0"u8.ToArray();
    private static readonly byte[] IccPrefix = "ICC_PROFILE\0"u8.ToArray();
    private const string XmpKeyword = "XML:com.adobe.xmp";

    /// <summary>The metadata of an encoded PNG, JPEG or WebP file; <see cref="ImageMetadata.Empty"/> for other formats.</summary>
    /// <param name="file">The whole file.</param>
    public static ImageMetadata Read(ReadOnlySpan<byte> file)
    {
        if (file.StartsWith(PngSignature)) return ReadPng(file);
        if (file.Length >= 3 && file[0] == 0xFF && file[1] == 0xD8 && file[2] == 0xFF) return ReadJpeg(file);
        if (file.Length >= 12 && file.StartsWith("RIFF"u8) && file[8..12].SequenceEqual("WEBP"u8)) return ReadWebP(file);
        return ImageMetadata.Empty;
    }

    /// <summary>
    /// Bits per channel a PNG file stores (1, 2, 4, 8 or 16), from its header; null for other formats or a damaged header.
    /// </summary>
    /// <param name="file">The whole file (or at least its first 26 bytes).</param>
    public static int? PngBitDepth(ReadOnlySpan<byte> file) =>
        file.Length >= 26 && file.StartsWith(PngSignature) && file[12..16].SequenceEqual("IHDR"u8) ? file[24] : null;

    /// <summary>
    /// An encoded PNG, JPEG or WebP file with <paramref name="metadata"/> written into it, replacing the profile,
    /// EXIF and XMP it had. Other formats, and an empty <paramref name="metadata"/>, return <paramref name="file"/>.
    /// </summary>
    /// <param name="file">The encoded file.</param>
    /// <param name="metadata">What to write.</param>
    /// <param name="width">Image width (WebP's extended header states the canvas size).</param>
    /// <param name="height">Image height.</param>
    /// <exception cref="ArgumentException">The file is not a well-formed PNG, JPEG or WebP.</exception>
    public static byte[] Embed(byte[] file, ImageMetadata metadata, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.IsEmpty) return file;
        if (file.AsSpan().StartsWith(PngSignature)) return EmbedPng(file, metadata);
        if (file.Length >= 4 && file[0] == 0xFF && file[1] == 0xD8) return EmbedJpeg(file, metadata);
        if (file.Length >= 12 && file.AsSpan().StartsWith("RIFF"u8) && file.AsSpan(8, 4).SequenceEqual("WEBP"u8))
            return EmbedWebP(file, metadata, width, height);
        return file;
    }

    // ---- PNG: iCCP (zlib), eXIf, iTXt "XML:com.adobe.xmp".

    private static ImageMetadata ReadPng(ReadOnlySpan<byte> file)
    {
        byte[]? icc = null, exif = null, xmp = null;
        int at = PngSignature.Length;
        while (at + 12 <= file.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(file[at..]);
            if (length > (uint)(file.Length - at - 12)) break;
            ReadOnlySpan<byte> type = file.Slice(at + 4, 4);
            ReadOnlySpan<byte> data = file.Slice(at + 8, (int)length);
            if (type.SequenceEqual("iCCP"u8)) icc ??= PngIcc(data);
            else if (type.SequenceEqual("eXIf"u8) && data.Length <= MaxEntryBytes) exif ??= data.ToArray();
            else if (type.SequenceEqual("iTXt"u8)) xmp ??= PngXmp(data);
            else if (type.SequenceEqual("IEND"u8)) break;
            at += 12 + (int)length;
        }
        return Make(icc, exif, xmp);
    }

    private static byte[]? PngIcc(ReadOnlySpan<byte> data)
    {
        // name (1-79 bytes), 0, compression method 0, zlib stream.
        int zero = data.IndexOf((byte)0);
        if (zero < 1 || zero + 2 > data.Length || data[zero + 1] != 0) return null;
        return Inflate(data[(zero + 2)..]);
    }

    private static byte[]? PngXmp(ReadOnlySpan<byte> data)
    {
        // keyword, 0, compression flag, method, language tag, 0, translated keyword, 0, text.
        int zero = data.IndexOf((byte)0);
        if (zero < 0 || !data[..zero].SequenceEqual(Encoding.Latin1.GetBytes(XmpKeyword)) || zero + 3 > data.Length) return null;
        bool compressed = data[zero + 1] != 0;
        ReadOnlySpan<byte> rest = data[(zero + 3)..];
        for (int skip = 0; skip < 2; skip++)
        {
            int end = rest.IndexOf((byte)0);
            if (end < 0) return null;
            rest = rest[(end + 1)..];
        }
        if (compressed) return Inflate(rest);
        return rest.Length <= MaxEntryBytes ? rest.ToArray() : null;
    }

    private static byte[] EmbedPng(byte[] file, ImageMetadata metadata)
    {
        using var output = new MemoryStream(file.Length + (int)Math.Min(metadata.TotalBytes, int.MaxValue / 2) + 64);
        output.Write(PngSignature);
        int at = PngSignature.Length;
        bool written = false;
        while (at + 12 <= file.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at));
            if (length > (uint)(file.Length - at - 12)) throw new ArgumentException("The PNG's chunks are damaged.", nameof(file));
            var type = file.AsSpan(at + 4, 4);
            int size = 12 + (int)length;
            // Colour chunks that would contradict the profile, and the entries being replaced, are left out.
            bool replaced = type.SequenceEqual("iCCP"u8) || type.SequenceEqual("eXIf"u8)
                || (metadata.IccProfile is not null && (type.SequenceEqual("sRGB"u8) || type.SequenceEqual("gAMA"u8) || type.SequenceEqual("cHRM"u8)))
                || (type.SequenceEqual("iTXt"u8) && file.AsSpan(at + 8, (int)length).StartsWith(Encoding.Latin1.GetBytes(XmpKeyword + "\0")));
            if (!replaced) output.Write(file, at, size);
            if (!written && type.SequenceEqual("IHDR"u8))
            {
                // iCCP must precede PLTE and IDAT; eXIf and iTXt may be anywhere before IEND.
                if (metadata.IccProfile is { } icc) WritePngChunk(output, "iCCP"u8, [.. "icc\0\0"u8, .. Deflate(icc)]);
                if (metadata.Exif is { } exif) WritePngChunk(output, "eXIf"u8, exif);
                if (metadata.Xmp is { } xmp) WritePngChunk(output, "iTXt"u8, [.. Encoding.Latin1.GetBytes(XmpKeyword), 0, 0, 0, 0, 0, .. xmp]);
                written = true;
            }
            at += size;
        }
        if (!written) throw new ArgumentException("The PNG has no header chunk.", nameof(file));
        return output.ToArray();
    }

    private static void WritePngChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        output.Write(word);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(data);
        output.Write(type);
        output.Write(data);
        // PNG's CRC is the same CRC-32 as the stream's, written big-endian.
        BinaryPrimitives.WriteUInt32BigEndian(word, crc.GetCurrentHashAsUInt32());
        output.Write(word);
    }

    // ---- JPEG: APP1 "Exif\0\0", APP1 XMP, APP2 "ICC_PROFILE\0" in numbered pieces.

    private static ImageMetadata ReadJpeg(ReadOnlySpan<byte> file)
    {
        byte[]? exif = null, xmp = null;
        var iccPieces = new SortedDictionary<int, byte[]>();
        int iccBytes = 0;
        int at = 2;
        while (at + 4 <= file.Length && file[at] == 0xFF)
        {
            byte marker = file[at + 1];
            if (marker == 0xFF) { at++; continue; }
            if (marker is 0xD9 or 0xDA) break; // end of image, start of scan: no more metadata segments
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { at += 2; continue; }
            int length = BinaryPrimitives.ReadUInt16BigEndian(file[(at + 2)..]);
            if (length < 2 || at + 2 + length > file.Length) break;
            ReadOnlySpan<byte> data = file.Slice(at + 4, length - 2);
            if (marker == 0xE1 && data.StartsWith(ExifPrefix)) exif ??= data[ExifPrefix.Length..].ToArray();
            else if (marker == 0xE1 && data.StartsWith(XmpPrefix)) xmp ??= data[XmpPrefix.Length..].ToArray();
            else if (marker == 0xE2 && data.StartsWith(IccPrefix) && data.Length >= IccPrefix.Length + 2)
            {
                int sequence = data[IccPrefix.Length];
                byte[] piece = data[(IccPrefix.Length + 2)..].ToArray();
                iccBytes += piece.Length;
                if (iccBytes <= MaxEntryBytes) iccPieces.TryAdd(sequence, piece);
            }
            at += 2 + length;
        }
        byte[]? icc = iccPieces.Count > 0 && iccBytes <= MaxEntryBytes ? iccPieces.Values.SelectMany(p => p).ToArray() : null;
        return Make(icc, exif, xmp);
    }

    private static byte[] EmbedJpeg(byte[] file, ImageMetadata metadata)
    {
        using var output = new MemoryStream(file.Length + (int)Math.Min(metadata.TotalBytes, int.MaxValue / 2) + 64);
        output.Write(file, 0, 2);
        int at = 2;
        // Keep a JFIF APP0 first; drop the segments being replaced; insert ours before the first other segment.
        bool inserted = false;
        while (at + 4 <= file.Length && file[at] == 0xFF)
        {
            byte marker = file[at + 1];
            if (marker is 0xDA or 0xD9) break;
            int length = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(at + 2));
            if (length < 2 || at + 2 + length > file.Length) throw new ArgumentException("The JPEG's segments are damaged.", nameof(file));
            var data = file.AsSpan(at + 4, length - 2);
            if (!inserted && marker != 0xE0)
            {
                WriteJpegSegments(output, metadata);
                inserted = true;
            }
            bool replaced = (marker == 0xE1 && (data.StartsWith(ExifPrefix) || data.StartsWith(XmpPrefix))) || (marker == 0xE2 && data.StartsWith(IccPrefix));
            if (!replaced) output.Write(file, at, 2 + length);
            at += 2 + length;
        }
        if (!inserted) WriteJpegSegments(output, metadata);
        output.Write(file, at, file.Length - at);
        return output.ToArray();
    }

    private static void WriteJpegSegments(Stream output, ImageMetadata metadata)
    {
        const int MaxSegmentData = 65533;
        if (metadata.Exif is { } exif && ExifPrefix.Length + exif.Length <= MaxSegmentData) WriteJpegSegment(output, 0xE1, [.. ExifPrefix, .. exif]);
        if (metadata.Xmp is { } xmp && XmpPrefix.Length + xmp.Length <= MaxSegmentData) WriteJpegSegment(output, 0xE1, [.. XmpPrefix, .. xmp]);
        if (metadata.IccProfile is { } icc)
        {
            int pieceBytes = MaxSegmentData - IccPrefix.Length - 2;
            int count = (icc.Length + pieceBytes - 1) / pieceBytes;
            if (count is >= 1 and <= 255)
            {
                for (int i = 0; i < count; i++)
                {
                    var piece = icc.AsSpan(i * pieceBytes, Math.Min(pieceBytes, icc.Length - i * pieceBytes));
                    WriteJpegSegment(output, 0xE2, [.. IccPrefix, (byte)(i + 1), (byte)count, .. piece]);
                }
            }
        }
    }

    private static void WriteJpegSegment(Stream output, byte marker, ReadOnlySpan<byte> data)
    {
        output.WriteByte(0xFF);
        output.WriteByte(marker);
        output.WriteByte((byte)((data.Length + 2) >> 8));
        output.WriteByte((byte)(data.Length + 2));
        output.Write(data);
    }

    // ---- WebP: RIFF chunks ICCP, EXIF, "XMP " next to an extended header VP8X.

    private static ImageMetadata ReadWebP(ReadOnlySpan<byte> file)
    {
        byte[]? icc = null, exif = null, xmp = null;
        foreach (var (type, offset, length) in RiffChunks(file))
        {
            if (length > MaxEntryBytes) continue;
            var data = file.Slice(offset, length);
            if (type == "ICCP") icc ??= data.ToArray();
            else if (type == "EXIF") exif ??= data.StartsWith(ExifPrefix) ? data[ExifPrefix.Length..].ToArray() : data.ToArray();
            else if (type == "XMP ") xmp ??= data.ToArray();
        }
        return Make(icc, exif, xmp);
    }

    private static List<(string Type, int Offset, int Length)> RiffChunks(ReadOnlySpan<byte> file)
    {
        var chunks = new List<(string, int, int)>();
        int at = 12;
        while (at + 8 <= file.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(file[(at + 4)..]);
            if (length > (uint)(file.Length - at - 8)) break;
            chunks.Add((Encoding.ASCII.GetString(file.Slice(at, 4)), at + 8, (int)length));
            at += 8 + (int)length + (int)(length & 1);
        }
        return chunks;
    }

    private static byte[] EmbedWebP(byte[] file, ImageMetadata metadata, int width, int height)
    {
        var chunks = RiffChunks(file);
        if (chunks.Count == 0) throw new ArgumentException("The WebP has no chunks.", nameof(file));
        byte flags = 0;
        var image = new List<(string Type, int Offset, int Length)>();
        foreach (var c in chunks)
        {
            if (c.Type == "VP8X") flags = file[c.Offset];
            else if (c.Type is not ("ICCP" or "EXIF" or "XMP ")) image.Add(c);
        }
        if (image.Any(c => c.Type == "VP8L") && (file[image.First(c => c.Type == "VP8L").Offset + 4] & 0x10) != 0) flags |= 0x10;
        if (image.Any(c => c.Type == "ALPH")) flags |= 0x10;
        flags = (byte)((flags & ~0x2C) | (metadata.IccProfile is null ? 0 : 0x20) | (metadata.Exif is null ? 0 : 0x08) | (metadata.Xmp is null ? 0 : 0x04));

        using var body = new MemoryStream();
        body.Write("WEBP"u8);
        Span<byte> vp8x = stackalloc byte[10];
        vp8x[0] = flags;
        WriteUInt24(vp8x[4..], width - 1);
        WriteUInt24(vp8x[7..], height - 1);
        WriteRiffChunk(body, "VP8X", vp8x);
        if (metadata.IccProfile is { } icc) WriteRiffChunk(body, "ICCP", icc);
        foreach (var c in image) WriteRiffChunk(body, c.Type, file.AsSpan(c.Offset, c.Length));
        if (metadata.Exif is { } exif) WriteRiffChunk(body, "EXIF", exif);
        if (metadata.Xmp is { } xmp) WriteRiffChunk(body, "XMP ", xmp);

        byte[] result = new byte[8 + body.Length];
        "RIFF"u8.CopyTo(result);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)body.Length);
        body.ToArray().CopyTo(result, 8);
        return result;
    }

    private static void WriteRiffChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        output.Write(Encoding.ASCII.GetBytes(type));
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)data.Length);
        output.Write(word);
        output.Write(data);
        if ((data.Length & 1) != 0) output.WriteByte(0);
    }

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }

    // ---- helpers

    private static ImageMetadata Make(byte[]? icc, byte[]? exif, byte[]? xmp) =>
        icc is null && exif is null && xmp is null ? ImageMetadata.Empty : new ImageMetadata { IccProfile = icc, Exif = exif, Xmp = xmp };

    // zlib data inflated up to MaxEntryBytes; null when damaged or larger (a zip bomb stops at the limit).
    private static byte[]? Inflate(ReadOnlySpan<byte> data)
    {
        try
        {
            using var input = new MemoryStream(data.ToArray());
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            byte[] buffer = new byte[81920];
            int n;
            while ((n = zlib.Read(buffer)) > 0)
            {
                if (output.Length + n > MaxEntryBytes) return null;
                output.Write(buffer, 0, n);
            }
            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(data);
        return output.ToArray();
    }
}
