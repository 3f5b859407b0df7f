using System.Buffers.Binary;
using System.IO.Hashing;

namespace Compass.Bitstream;

/// <summary>Writes and reads the header; see docs/bitstream.md for the layout.</summary>
internal static class HeaderCodec
{
    /// <summary>A header as read, with its CRC status (the inspector reports a bad CRC instead of throwing).</summary>
    internal readonly record struct ReadResult(BitstreamHeader Header, uint StoredCrc, uint ComputedCrc)
    {
        public bool CrcValid => StoredCrc == ComputedCrc;
    }

    /// <summary>Writes <paramref name="header"/> to <paramref name="destination"/> (at least <see cref="BitstreamHeader.Size"/> bytes).</summary>
    public static void Write(BitstreamHeader header, Span<byte> destination)
    {
        int size = header.Size;
        Span<byte> bytes = destination[..size];
        BitstreamFormat.Magic.CopyTo(bytes);
        bytes[BitstreamFormat.VersionOffset] = header.Version;
        bytes[BitstreamFormat.EntropyPathOffset] = header.EntropyPathVersion;
        bytes[BitstreamFormat.QualityOffset] = checked((byte)header.Quality.Value);
        bytes[BitstreamFormat.FlagsOffset] = 0;
        header.ModelId.CopyTo(bytes.Slice(BitstreamFormat.ModelIdOffset, ModelIdentity.Size));
        bytes[BitstreamFormat.LayerCountOffset] = (byte)header.Plan.Count;
        int offset = BitstreamFormat.FixedHeaderSize;
        foreach (var layer in header.Plan.Layers)
        {
            // LayerPlan guarantees 16..65535 per side, so the casts are exact.
            BinaryPrimitives.WriteUInt16LittleEndian(bytes[offset..], (ushort)layer.Width);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes[(offset + 2)..], (ushort)layer.Height);
            offset += BitstreamFormat.HeaderBytesPerLayer;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[offset..], Crc32.HashToUInt32(bytes[..offset]));
    }

    /// <summary>
    /// Reads and validates a header. Checks run in an order that gives the most useful message: magic and
    /// version first (they define the layout), then the layer count (it bounds what is read next), then the
    /// CRC (so corruption is reported as such), then the meaning of every field.
    /// </summary>
    /// <remarks><c>requireValidCrc</c>: throw on a CRC mismatch (reader) or report it in the result (inspector).</remarks>
    public static async ValueTask<ReadResult> ReadAsync(OffsetReader reader, BitstreamLimits limits, bool requireValidCrc, bool sync, CancellationToken cancellationToken)
    {
        // Bounded by the format's layer maximum: never more than 77 bytes, whatever the stream claims.
        byte[] bytes = new byte[BitstreamFormat.HeaderSize(LayerPlan.MaxLayerCount)];
        int read = await reader.ReadAsync(bytes.AsMemory(0, BitstreamFormat.FixedHeaderSize), sync, cancellationToken).ConfigureAwait(false);

        // A short stream that does not even start with the magic is "not Compass", not "truncated".
        int magicBytes = Math.Min(read, BitstreamFormat.Magic.Length);
        if (!bytes.AsSpan(0, magicBytes).SequenceEqual(BitstreamFormat.Magic[..magicBytes]))
        {
            throw new CompassFormatException($"Not a Compass bitstream: the magic is not 'CMPS' (first bytes {Convert.ToHexString(bytes, 0, magicBytes)})", 0);
        }
        if (read > BitstreamFormat.VersionOffset && bytes[BitstreamFormat.VersionOffset] != BitstreamFormat.Version)
        {
            throw new CompassFormatException(CompassFormatErrorKind.UnsupportedVersion, $"Unsupported bitstream format version {bytes[BitstreamFormat.VersionOffset]}; this library reads version {BitstreamFormat.Version}", BitstreamFormat.VersionOffset);
        }
        if (read < BitstreamFormat.FixedHeaderSize)
        {
            throw BitstreamErrors.TruncatedHeader(reader.Position);
        }

        int count = bytes[BitstreamFormat.LayerCountOffset];
        if (count is < 1 or > LayerPlan.MaxLayerCount)
        {
            throw new CompassFormatException($"The header declares {count} layers; a bitstream holds 1 to {LayerPlan.MaxLayerCount}", BitstreamFormat.LayerCountOffset);
        }
        int size = BitstreamFormat.HeaderSize(count);
        int rest = size - BitstreamFormat.FixedHeaderSize;
        read = await reader.ReadAsync(bytes.AsMemory(BitstreamFormat.FixedHeaderSize, rest), sync, cancellationToken).ConfigureAwait(false);
        if (read < rest)
        {
            throw BitstreamErrors.TruncatedHeader(reader.Position);
        }

        int crcOffset = size - sizeof(uint);
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(crcOffset));
        uint computed = Crc32.HashToUInt32(bytes.AsSpan(0, crcOffset));
        if (requireValidCrc && stored != computed)
        {
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt, $"Header CRC mismatch: stored 0x{stored:x8}, computed 0x{computed:x8}; the header is corrupt", crcOffset);
        }

        byte entropyPath = bytes[BitstreamFormat.EntropyPathOffset];
        if (!BitstreamFormat.IsKnownEntropyPathVersion(entropyPath))
        {
            throw new CompassFormatException(CompassFormatErrorKind.UnsupportedVersion, $"Unsupported entropy-path version {entropyPath}; this library decodes versions {BitstreamFormat.FloatEntropyPath} and {BitstreamFormat.FixedPointEntropyPath} and cannot decode this stream bit-exactly", BitstreamFormat.EntropyPathOffset);
        }
        if (!Quality.TryCreate(bytes[BitstreamFormat.QualityOffset], out var quality))
        {
            throw new CompassFormatException(CompassFormatErrorKind.Malformed, $"Quality {bytes[BitstreamFormat.QualityOffset]} is invalid; qualities are {Quality.MinValue} to {Quality.MaxValue}", BitstreamFormat.QualityOffset);
        }
        byte flags = bytes[BitstreamFormat.FlagsOffset];
        if (flags != 0)
        {
            throw new CompassFormatException($"Flags byte is 0x{flags:x2}; format version {BitstreamFormat.Version} defines no flags, it must be 0", BitstreamFormat.FlagsOffset);
        }

        Span<LayerSize> sizes = stackalloc LayerSize[count];
        for (int i = 0; i < count; i++)
        {
            int offset = BitstreamFormat.FixedHeaderSize + (i * BitstreamFormat.HeaderBytesPerLayer);
            sizes[i] = new LayerSize(
                BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset)),
                BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset + 2)));
        }
        string? planError = LayerPlan.Validate(sizes, limits.Plan, out int badLayer);
        if (planError is not null)
        {
            long offset = badLayer < 0 ? BitstreamFormat.LayerCountOffset : BitstreamFormat.FixedHeaderSize + (badLayer * BitstreamFormat.HeaderBytesPerLayer);
            throw new CompassFormatException($"Invalid layer plan in the header: {planError}", offset);
        }

        var header = new BitstreamHeader(new ModelIdentity(bytes.AsSpan(BitstreamFormat.ModelIdOffset, ModelIdentity.Size)), quality, LayerPlan.CreateValidated(sizes), entropyPath);
        return new ReadResult(header, stored, computed);
    }
}
