using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Compass.EntropyCoding;

/// <summary>
/// Decodes rANS byte strings made by <see cref="RansEncoder"/> or by CompressAI's
/// <c>encode_with_indexes</c>. The decoder needs the same tables and indexes as the encoder.
/// </summary>
/// <remarks>
/// <para>The decoder is strict, so a damaged stream fails fast and never reads out of bounds. It
/// throws <see cref="CompassFormatException"/> when the string's length is not 8 plus a multiple of 4,
/// when it ends before all symbols are decoded, when an escape declares more than 8 raw chunks, when an
/// escaped value leaves the <see cref="int"/> range, and when bytes are left over or the final state is
/// not the encoder's initial state. A valid stream always ends exactly there, so this final check
/// catches almost every corrupted or truncated string.</para>
/// <para>rANS has no redundancy of its own: a corrupted string that passes every check decodes to
/// wrong symbols without any error. Integrity belongs to the container (a checksum).</para>
/// <para>Work per symbol is bounded, so a decode never hangs. The method is thread safe and allocates nothing.</para>
/// </remarks>
public static class RansDecoder
{
    /// <summary>Decodes <paramref name="symbols"/>.Length symbols from <paramref name="data"/>.</summary>
    /// <param name="data">The rANS bytes of exactly these symbols.</param>
    /// <param name="indexes">The table of each symbol, as given to the encoder.</param>
    /// <param name="tables">The entropy tables used by the encoder.</param>
    /// <param name="symbols">Receives the symbols (offsets already applied).</param>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is not a table.</exception>
    /// <exception cref="CompassFormatException">The bytes are truncated, too long or not a valid stream for these tables.</exception>
    public static void Decode(ReadOnlySpan<byte> data, ReadOnlySpan<int> indexes, QuantizedCdfTable tables, Span<int> symbols)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (symbols.Length != indexes.Length)
            throw new ArgumentException($"{symbols.Length} symbols but {indexes.Length} indexes.", nameof(indexes));
        if (data.Length < RansConstants.FlushBytes || data.Length % 4 != 0)
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt, $"rANS string of {data.Length} bytes: expected 8 plus a multiple of 4.");

        // The loop reads the tables through references without bounds checks. It is safe because every
        // index is checked against the table count, and the table invariants (validated at construction)
        // keep each symbol inside its row: a lookup entry is a valid symbol, no comparison passes the row's
        // final 65536 (above any 16-bit cumulative frequency), and rows carry RowPadding entries of slack
        // for the reads a few entries ahead.
        var rows = tables.Rows;
        ref QuantizedCdfTable.TableRow rowRef = ref MemoryMarshal.GetArrayDataReference(rows);
        ref int cdfRef = ref MemoryMarshal.GetArrayDataReference(tables.CdfData);
        ref ushort lookupRef = ref MemoryMarshal.GetArrayDataReference(tables.LookupData);
        ref int indexRef = ref MemoryMarshal.GetReference(indexes);
        ref int symbolRef = ref MemoryMarshal.GetReference(symbols);
        uint tableCount = (uint)rows.Length;
        const int mask = QuantizedCdfTable.Total - 1;

        ulong x = BinaryPrimitives.ReadUInt64LittleEndian(data);
        int pos = RansConstants.FlushBytes;
        int lastWord = data.Length - 4;
        for (int i = 0; i < symbols.Length; i++)
        {
            uint t = (uint)Unsafe.Add(ref indexRef, i);
            if (t >= tableCount) ThrowBadIndex(i, (int)t, (int)tableCount);
            ref QuantizedCdfTable.TableRow table = ref Unsafe.Add(ref rowRef, t);
            int cum = (int)x & mask;
            // Slot k of the lookup holds the symbols lookup[k] .. lookup[k + 1]. Usually that is at most three
            // symbols: four CDF entries loaded at once and two comparisons give the symbol, its start and its
            // frequency with no branch and no load that waits on another. Wider slots (tails) take a scan.
            ref ushort slot = ref Unsafe.Add(ref lookupRef, table.LookupStart + (cum >> QuantizedCdfTable.LookupShift));
            ref int cdf = ref Unsafe.Add(ref cdfRef, table.CdfStart);
            int s = slot;
            int start, freq;
            if (Unsafe.Add(ref slot, 1) - s <= 2)
            {
                ref int c = ref Unsafe.Add(ref cdf, s);
                int c0 = c, c1 = Unsafe.Add(ref c, 1), c2 = Unsafe.Add(ref c, 2), c3 = Unsafe.Add(ref c, 3);
                bool past1 = c1 <= cum, past2 = c2 <= cum;
                s += (past1 ? 1 : 0) + (past2 ? 1 : 0);
                start = past2 ? c2 : past1 ? c1 : c0;
                int end = past2 ? c3 : past1 ? c2 : c1;
                freq = end - start;
            }
            else
            {
                while (Unsafe.Add(ref cdf, s + 1) <= cum) s++;
                start = Unsafe.Add(ref cdf, s);
                freq = Unsafe.Add(ref cdf, s + 1) - start;
            }
            x = (ulong)(uint)freq * (x >> QuantizedCdfTable.Precision) + (uint)(cum - start);
            if (x < RansConstants.StateLowerBound)
            {
                if (pos > lastWord) ThrowTruncated(pos);
                x = (x << 32) | BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(pos, 4));
                pos += 4;
            }
            if (s == table.EscapeSymbol)
            {
                (s, x, pos) = GetEscaped(x, data, pos, table.EscapeSymbol, table.Offset);
                Unsafe.Add(ref symbolRef, i) = s;
                continue;
            }
            Unsafe.Add(ref symbolRef, i) = s + table.Offset;
        }
        if (pos != data.Length || x != RansConstants.StateLowerBound)
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt, pos != data.Length
                ? $"rANS string has {data.Length - pos} bytes after its last symbol."
                : "rANS string is corrupt: the final state is not the initial state.", pos);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (int Symbol, ulong State, int Position) GetEscaped(ulong x, ReadOnlySpan<byte> data, int pos, int max, int offset)
    {
        uint chunk = GetBits(ref x, data, ref pos);
        int chunks = (int)chunk;
        while (chunk == RansConstants.BypassMax && chunks <= RansConstants.MaxBypassChunks)
        {
            chunk = GetBits(ref x, data, ref pos);
            chunks += (int)chunk;
        }
        if (chunks > RansConstants.MaxBypassChunks)
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt, $"rANS escape declares {chunks} raw chunks (at most {RansConstants.MaxBypassChunks}).", pos);
        uint raw = 0;
        for (int j = 0; j < chunks; j++) raw |= GetBits(ref x, data, ref pos) << (j * RansConstants.BypassBits);
        long value = raw >> 1;
        value = (raw & 1) != 0 ? -value - 1 : value + max;
        long symbol = value + offset;
        if (symbol is < int.MinValue or > int.MaxValue)
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt, $"rANS escape decodes to {symbol}, outside the 32-bit symbol range.", pos);
        return ((int)symbol, x, pos);
    }

    private static uint GetBits(ref ulong x, ReadOnlySpan<byte> data, ref int pos)
    {
        uint value = (uint)x & RansConstants.BypassMax;
        x >>= RansConstants.BypassBits;
        if (x < RansConstants.StateLowerBound)
        {
            if (pos > data.Length - 4) ThrowTruncated(pos);
            x = (x << 32) | BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]);
            pos += 4;
        }
        return value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTruncated(int pos) =>
        throw new CompassFormatException(CompassFormatErrorKind.Corrupt, "rANS string ends before all symbols are decoded.", pos);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadIndex(int position, int index, int count) =>
        throw new ArgumentOutOfRangeException("indexes", $"Index {index} of symbol {position} is not one of the {count} tables.");
}
