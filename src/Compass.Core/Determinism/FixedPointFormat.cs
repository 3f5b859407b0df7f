namespace Compass.Determinism;

/// <summary>
/// Constants of the <c>hs_scales.fxp</c> blob: the scale branch of h_s quantised to integers.
/// See <c>docs/determinism.md</c> for the byte layout.
/// </summary>
internal static class FixedPointFormat
{
    /// <summary>"CFXP" read as a little-endian uint32.</summary>
    public const uint Magic = 0x50584643;

    public const ushort Version = 1;

    /// <summary>Largest weight magnitude (int16 without -32768, so a pmaddwd pair never overflows).</summary>
    public const int WeightMax = short.MaxValue;

    /// <summary>Largest fraction-bit count anywhere (keeps threshold derivation exact in double).</summary>
    public const int MaxFractionBits = 40;

    /// <summary>Largest channel count accepted from a blob.</summary>
    public const int MaxChannels = 4096;

    /// <summary>Largest scale-table length accepted from a blob.</summary>
    public const int MaxTables = 1024;

    /// <summary>Layer kinds, in the only order h_s has them.</summary>
    public const byte KindDeconv5x5Stride2 = 1;

    public const byte KindConv3x3 = 2;
}
