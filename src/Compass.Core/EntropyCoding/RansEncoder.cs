using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Compass.EntropyCoding;

/// <summary>
/// Encodes integer symbols with per-symbol entropy tables into an rANS byte string that is byte for
/// byte the one CompressAI's <c>RansEncoder.encode_with_indexes</c> produces (ryg's rans64, 16-bit
/// precision, 4-bit bypass chunks for escaped values).
/// </summary>
/// <remarks>
/// <para>For symbol <c>i</c> with table <c>t = indexes[i]</c> the coded value is
/// <c>v = symbols[i] - offset[t]</c>. When <c>0 &lt;= v &lt; max</c> (<c>max = cdfLength[t] - 2</c>)
/// it is coded with the table. Otherwise the escape symbol <c>max</c> is coded, then the raw value
/// <c>r</c> in 4-bit chunks: <c>r = -2v - 1</c> for <c>v &lt; 0</c> and <c>r = 2(v - max)</c> above.
/// First comes the number of chunks, then the chunks, least significant first.</para>
/// <para>Every value whose <c>r</c> fits 32 bits can be coded. For the Gaussian and factorised tables
/// this is every <see cref="int"/> symbol. CompressAI's own C++ code only handles <c>r &lt; 2^28</c>
/// (larger raw values overflow a shift there), so byte parity with it is defined below that bound.</para>
/// <para>Thread safe and allocation free apart from the returned array: the scratch buffer comes from
/// <see cref="ArrayPool{T}"/>.</para>
/// </remarks>
public static class RansEncoder
{
    /// <summary>Encodes the symbols and returns the byte string.</summary>
    /// <param name="symbols">The symbols (for y: <c>round(y - mean)</c>; for z: <c>round(z - median)</c>).</param>
    /// <param name="indexes">The table of each symbol, in <c>[0, tables.Count)</c>.</param>
    /// <param name="tables">The entropy tables.</param>
    /// <returns>The rANS bytes (a multiple of 4, at least 8).</returns>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is not a table, or a symbol is too far outside its table to be escaped.</exception>
    public static byte[] Encode(ReadOnlySpan<int> symbols, ReadOnlySpan<int> indexes, QuantizedCdfTable tables)
    {
        var writer = new ArrayBufferWriter<byte>(EstimateSize(symbols.Length));
        Encode(symbols, indexes, tables, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes the symbols and appends the byte string to <paramref name="output"/>.</summary>
    /// <param name="symbols">The symbols.</param>
    /// <param name="indexes">The table of each symbol, in <c>[0, tables.Count)</c>.</param>
    /// <param name="tables">The entropy tables.</param>
    /// <param name="output">Receives the rANS bytes.</param>
    /// <returns>Number of bytes written.</returns>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is not a table, or a symbol is too far outside its table to be escaped.</exception>
    public static int Encode(ReadOnlySpan<int> symbols, ReadOnlySpan<int> indexes, QuantizedCdfTable tables, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(output);
        if (symbols.Length != indexes.Length)
            throw new ArgumentException($"{symbols.Length} symbols but {indexes.Length} indexes.", nameof(indexes));

        uint[] words = ArrayPool<uint>.Shared.Rent(symbols.Length + 16);
        try
        {
            ulong state = EncodeWords(symbols, indexes, tables, ref words, out int count);
            int bytes = RansConstants.FlushBytes + 4 * count;
            var dest = output.GetSpan(bytes)[..bytes];
            // rANS emits words back to front: the stream is the final state, then the words in reverse order of emission.
            BinaryPrimitives.WriteUInt64LittleEndian(dest, state);
            var emitted = words.AsSpan(0, count);
            emitted.Reverse();
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(emitted).CopyTo(dest[RansConstants.FlushBytes..]);
            }
            else
            {
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt32LittleEndian(dest[(RansConstants.FlushBytes + 4 * i)..], emitted[i]);
            }
            output.Advance(bytes);
            return bytes;
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(words);
        }
    }

    /// <summary>A size hint for a stream of <paramref name="symbolCount"/> symbols (not a bound).</summary>
    internal static int EstimateSize(int symbolCount) => RansConstants.FlushBytes + 4 * (symbolCount / 8 + 4);

    // Codes the symbols last to first (rANS is a stack) and returns the final state; `count` words were emitted into `words`.
    private static ulong EncodeWords(ReadOnlySpan<int> symbols, ReadOnlySpan<int> indexes, QuantizedCdfTable tables, ref uint[] words, out int count)
    {
        int[] cdf = tables.CdfData;
        int[] lengths = tables.CdfLengthData;
        int[] offsets = tables.OffsetData;
        int stride = tables.Stride;
        ulong x = RansConstants.StateLowerBound;
        int n = 0;
        for (int i = symbols.Length - 1; i >= 0; i--)
        {
            int t = indexes[i];
            if ((uint)t >= (uint)lengths.Length) ThrowBadIndex(i, t, lengths.Length);
            int max = lengths[t] - 2;
            long value = (long)symbols[i] - offsets[t];
            if ((ulong)value >= (ulong)max)
            {
                // Escape: the raw chunks go in before the escape symbol itself because the decoder reads them after it.
                if (words.Length - n < i + 1 + 2 + RansConstants.MaxBypassChunks) Grow(ref words, n, i + 1 + 2 + RansConstants.MaxBypassChunks);
                x = PutEscape(x, words, ref n, value, max, i);
                value = max;
            }
            int row = t * stride + (int)value;
            uint start = (uint)cdf[row];
            uint freq = (uint)cdf[row + 1] - start;
            // Renormalise so that the state after coding stays below 2^63: x_max = ((L >> precision) << 32) * freq.
            if (x >= (ulong)freq << (63 - QuantizedCdfTable.Precision))
            {
                words[n++] = (uint)x;
                x >>= 32;
            }
            (ulong q, ulong r) = Math.DivRem(x, (ulong)freq);
            x = (q << QuantizedCdfTable.Precision) + r + start;
        }
        count = n;
        return x;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong PutEscape(ulong x, uint[] words, ref int n, long value, int max, int position)
    {
        long rawLong = value < 0 ? -2 * value - 1 : 2 * (value - max);
        if (rawLong > uint.MaxValue)
            throw new ArgumentOutOfRangeException("symbols", $"Symbol {position} is {value} steps from its table and cannot be escaped in 32 bits.");
        uint raw = (uint)rawLong;
        int chunks = 0;
        while (chunks < RansConstants.MaxBypassChunks && (raw >> (chunks * RansConstants.BypassBits)) != 0) chunks++;
        for (int j = chunks - 1; j >= 0; j--) x = PutBits(x, words, ref n, (raw >> (j * RansConstants.BypassBits)) & RansConstants.BypassMax);
        // The chunk count (at most 8) always fits one chunk below the "continues" marker 15.
        return PutBits(x, words, ref n, (uint)chunks);
    }

    // Codes `bits` raw bits with frequency 2^(precision - bits) each (rans64's PutBits).
    private static ulong PutBits(ulong x, uint[] words, ref int n, uint value)
    {
        if (x >= 1UL << (63 - RansConstants.BypassBits))
        {
            words[n++] = (uint)x;
            x >>= 32;
        }
        return (x << RansConstants.BypassBits) | value;
    }

    private static void Grow(ref uint[] words, int used, int needed)
    {
        var bigger = ArrayPool<uint>.Shared.Rent(Math.Max(words.Length * 2, used + needed));
        words.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<uint>.Shared.Return(words);
        words = bigger;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadIndex(int position, int index, int count) =>
        throw new ArgumentOutOfRangeException("indexes", $"Index {index} of symbol {position} is not one of the {count} tables.");
}
