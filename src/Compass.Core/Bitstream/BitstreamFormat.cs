namespace Compass.Bitstream;

/// <summary>
/// Constants of the Compass bitstream format, version 2 (version 1 is still read). The byte layout is documented in
/// <c>docs/bitstream.md</c>; every multi-byte number is little-endian.
/// </summary>
public static class BitstreamFormat
{
    /// <summary>The format version this library writes; it reads this one and <see cref="OldestReadableVersion"/>.</summary>
    public const byte Version = 2;

    /// <summary>The oldest format version this library reads (version 1: one whole-number quality, step 1).</summary>
    public const byte OldestReadableVersion = 1;

    /// <summary>The flags a version-2 header may set; other bits make it invalid.</summary>
    public const BitstreamFlags KnownFlags = BitstreamFlags.Grayscale | BitstreamFlags.Metadata | BitstreamFlags.Alpha;

    /// <summary>
    /// Entropy-parameter path 1: y table indexes come from the float scales of the hyper-synthesis network.
    /// Such a stream decodes only where that network produces the same floats (same provider, machine and
    /// thread count); written only by models that lack the fixed-point path.
    /// </summary>
    public const byte FloatEntropyPath = 1;

    /// <summary>
    /// Entropy-parameter path 2: y table indexes come from the scale branch of the hyper-synthesis evaluated
    /// in fixed-point integer arithmetic (<see cref="Determinism.FixedPointHyperScales"/>), identical on every
    /// machine. See docs/determinism.md.
    /// </summary>
    public const byte FixedPointEntropyPath = 2;

    /// <summary>
    /// The newest entropy-parameter path (how a decoder turns network outputs into entropy-table indices)
    /// this library knows. Streams with an unknown version are refused, because decoding them with a
    /// different path would silently produce garbage.
    /// </summary>
    public const byte EntropyPathVersion = FixedPointEntropyPath;

    /// <summary>Size of the fixed part of the header, before the per-layer sizes: magic to layer count.</summary>
    internal const int FixedHeaderSize = 41;

    /// <summary>Bytes per layer in a version-1 header: width and height as uint16 LE.</summary>
    internal const int HeaderBytesPerLayerV1 = 4;

    /// <summary>Bytes per layer in a version-2 header: width, height, quality (Q8.8) as uint16 LE, then stepQ16 as uint32 LE.</summary>
    internal const int HeaderBytesPerLayer = 10;

    /// <summary>Bytes before a chunk's payload: payload length and CRC-32, both uint32 LE.</summary>
    internal const int ChunkHeadSize = 8;

    /// <summary>Bytes of the z-length prefix at the start of every payload (uint32 LE).</summary>
    internal const int ZLengthSize = 4;

    // Offsets of the header fields (see docs/bitstream.md).
    internal const int VersionOffset = 4;
    internal const int EntropyPathOffset = 5;
    internal const int QualityOffset = 6; // version 1; reserved (0) in version 2
    internal const int FlagsOffset = 7;
    internal const int ModelIdOffset = 8;
    internal const int LayerCountOffset = 40;

    /// <summary>The 4 magic bytes that open every stream: ASCII <c>CMPS</c>.</summary>
    public static ReadOnlySpan<byte> Magic => "CMPS"u8;

    /// <summary>Whether this library can decode streams with entropy-path version <paramref name="version"/>.</summary>
    /// <param name="version">The version byte from a header.</param>
    public static bool IsKnownEntropyPathVersion(byte version) => version is FloatEntropyPath or FixedPointEntropyPath;

    /// <summary>Size in bytes of the header of a stream of the current version with <paramref name="layerCount"/> layers: 45 + 10 per layer.</summary>
    /// <param name="layerCount">Number of layers in the plan.</param>
    public static int HeaderSize(int layerCount) => HeaderSize(Version, layerCount);

    /// <summary>Header size for a given format version: 45 + 4 per layer (version 1) or 45 + 10 per layer (version 2).</summary>
    internal static int HeaderSize(byte version, int layerCount) =>
        FixedHeaderSize + (BytesPerLayer(version) * layerCount) + sizeof(uint);

    /// <summary>Header bytes per layer for a format version.</summary>
    internal static int BytesPerLayer(byte version) => version == 1 ? HeaderBytesPerLayerV1 : HeaderBytesPerLayer;
}
