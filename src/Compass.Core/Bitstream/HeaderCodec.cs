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
        bool v1 = header.Version == 1;
        bytes[BitstreamFormat.VersionOffset] = header.Version;
        bytes[BitstreamFormat.EntropyPathOffset] = header.EntropyPathVersion;
        // Version 1: one whole-number quality here (the header's constructor guarantees it); version 2: reserved.
        bytes[BitstreamFormat.QualityOffset] = v1 ? checked((byte)header.Quality.Value) : (byte)0;
        bytes[BitstreamFormat.FlagsOffset] = (byte)header.Flags;
        header.ModelId.CopyTo(bytes.Slice(BitstreamFormat.ModelIdOffset, ModelIdentity.Size));
        bytes[BitstreamFormat.LayerCountOffset] = (byte)header.Plan.Count;
        int offset = BitstreamFormat.FixedHeaderSize;
        for (int i = 0; i < header.Plan.Count; i++)
        {
            // LayerPlan guarantees 16..65535 per side, so the casts are exact.
            var layer = header.Plan[i];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes[offset..], (ushort)layer.Width);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes[(offset + 2)..], (ushort)layer.Height);
            if (!v1)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes[(offset + 4)..], (ushort)header.LayerRates[i].Quality.Q88);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes[(offset + 6)..], (uint)header.LayerRates[i].StepQ16);
            }
            offset += BitstreamFormat.BytesPerLayer(header.Version);
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
        // Bounded by the format's layer maximum: never more than 125 bytes, whatever the stream claims.
        byte[] bytes = new byte[BitstreamFormat.HeaderSize(BitstreamFormat.Version, LayerPlan.MaxLayerCount)];
        int read = await reader.ReadAsync(bytes.AsMemory(0, BitstreamFormat.FixedHeaderSize), sync, cancellationToken).ConfigureAwait(false);

        // A short stream that does not even start with the magic is "not Compass", not "truncated".
        int magicBytes = Math.Min(read, BitstreamFormat.Magic.Length);
        if (!bytes.AsSpan(0, magicBytes).SequenceEqual(BitstreamFormat.Magic[..magicBytes]))
        {
            throw new CompassFormatException($"Not a Compass bitstream: the magic is not 'CMPS' (first bytes {Convert.ToHexString(bytes, 0, magicBytes)})", 0);
        }
        byte version = read > BitstreamFormat.VersionOffset ? bytes[BitstreamFormat.VersionOffset] : BitstreamFormat.Version;
        if (version is < BitstreamFormat.OldestReadableVersion or > BitstreamFormat.Version)
        {
            throw new CompassFormatException(CompassFormatErrorKind.UnsupportedVersion, $"Unsupported bitstream format version {version}; this library reads versions {BitstreamFormat.OldestReadableVersion} and {BitstreamFormat.Version}", BitstreamFormat.VersionOffset);
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
        int size = BitstreamFormat.HeaderSize(version, count);
        int perLayer = BitstreamFormat.BytesPerLayer(version);
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
        var quality = default(Quality);
        if (version == 1 && !Quality.TryCreate(bytes[BitstreamFormat.QualityOffset], out quality))
        {
            throw new CompassFormatException(CompassFormatErrorKind.Malformed, $"Quality {bytes[BitstreamFormat.QualityOffset]} is invalid; qualities are {Quality.MinValue} to {Quality.MaxValue}", BitstreamFormat.QualityOffset);
        }
        if (version != 1 && bytes[BitstreamFormat.QualityOffset] != 0)
        {
            throw new CompassFormatException($"Byte {BitstreamFormat.QualityOffset} is 0x{bytes[BitstreamFormat.QualityOffset]:x2}; it is reserved in format version {version} and must be 0", BitstreamFormat.QualityOffset);
        }
        byte flags = bytes[BitstreamFormat.FlagsOffset];
        if (version == 1 && flags != 0)
        {
            throw new CompassFormatException($"Flags byte is 0x{flags:x2}; format version 1 defines no flags, it must be 0", BitstreamFormat.FlagsOffset);
        }
        if ((flags & ~(int)BitstreamFormat.KnownFlags) != 0)
        {
            throw new CompassFormatException($"Flags byte is 0x{flags:x2}; bits other than 0 (grayscale), 1 (metadata) and 2 (alpha) are undefined and must be 0", BitstreamFormat.FlagsOffset);
        }

        Span<LayerSize> sizes = stackalloc LayerSize[count];
        var rates = new LayerRate[count];
        for (int i = 0; i < count; i++)
        {
            int offset = BitstreamFormat.FixedHeaderSize + (i * perLayer);
            sizes[i] = new LayerSize(
                BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset)),
                BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset + 2)));
            rates[i] = version == 1 ? LayerRate.AtUnitStep(quality) : ReadRate(bytes, offset, i);
        }
        string? planError = LayerPlan.Validate(sizes, limits.Plan, out int badLayer);
        if (planError is not null)
        {
            long offset = badLayer < 0 ? BitstreamFormat.LayerCountOffset : BitstreamFormat.FixedHeaderSize + (badLayer * perLayer);
            throw new CompassFormatException($"Invalid layer plan in the header: {planError}", offset);
        }

        var header = new BitstreamHeader(version, new ModelIdentity(bytes.AsSpan(BitstreamFormat.ModelIdOffset, ModelIdentity.Size)), LayerPlan.CreateValidated(sizes), rates, entropyPath, (BitstreamFlags)flags);
        return new ReadResult(header, stored, computed);
    }

    // A version-2 layer entry: quality (Q8.8, 1..65535) at +4, stepQ16 (1..2^24-1) at +6.
    private static LayerRate ReadRate(byte[] bytes, int offset, int layer)
    {
        int q88 = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset + 4));
        if (q88 == 0)
        {
            throw new CompassFormatException($"Layer {layer} has quality 0; a quality is 1/256 to 255.99 (Q8.8 1..65535)", offset + 4);
        }
        uint stepQ16 = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 6));
        if (!Pipeline.QuantizationSteps.IsValid(stepQ16))
        {
            throw new CompassFormatException($"Layer {layer}: {LayerRate.StepMessage(stepQ16)}", offset + 6);
        }
        return new LayerRate(Quality.FromQ88(q88), (int)stepQ16);
    }
}
