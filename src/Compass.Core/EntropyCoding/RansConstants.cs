namespace Compass.EntropyCoding;

/// <summary>
/// Parameters of the rANS variant CompressAI uses (ryg's rans64: 64-bit state, 32-bit output words)
/// and of its escape scheme. Changing any of them changes the bytes.
/// </summary>
internal static class RansConstants
{
    /// <summary>Lower bound of the normalised state interval [L, 2^64).</summary>
    public const ulong StateLowerBound = 1UL << 31;

    /// <summary>Bits per raw chunk of an escaped value.</summary>
    public const int BypassBits = 4;

    /// <summary>Largest raw chunk; also the chunk value that means "the count continues".</summary>
    public const int BypassMax = (1 << BypassBits) - 1;

    /// <summary>An escaped value is a 32-bit unsigned integer, so it never needs more chunks than this.</summary>
    public const int MaxBypassChunks = 32 / BypassBits;

    /// <summary>Bytes of the final state the encoder flushes (two words).</summary>
    public const int FlushBytes = 8;
}
