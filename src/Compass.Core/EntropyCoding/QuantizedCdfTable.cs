namespace Compass.EntropyCoding;

/// <summary>
/// An immutable set of integer CDFs with 16-bit precision, the entropy tables the rANS coder works
/// with. It is CompressAI's <c>_quantized_cdf</c>, <c>_cdf_length</c> and <c>_offset</c> in one object.
/// </summary>
/// <remarks>
/// <para>Table <c>t</c> covers the symbols <c>offset[t] .. offset[t] + cdfLength[t] - 3</c>. Its
/// <c>cdfLength[t]</c> entries rise strictly from 0 to 65536, so every symbol has a non-zero frequency.
/// The last symbol (index <c>cdfLength[t] - 2</c>) is the escape symbol. Values outside the range are
/// coded as the escape symbol followed by raw bits.</para>
/// <para>Construction checks all of this and throws <see cref="CompassFormatException"/> on a
/// violation, because the tables usually come from a model bundle. It also precomputes the decoder's
/// lookup from a cumulative frequency to a symbol.</para>
/// </remarks>
public sealed class QuantizedCdfTable
{
    /// <summary>Number of bits of the probability scale (CompressAI's <c>entropy_coder_precision</c>).</summary>
    public const int Precision = 16;

    /// <summary>The total frequency every CDF ends at: 2^<see cref="Precision"/>.</summary>
    public const int Total = 1 << Precision;

    // The most entries a CDF can have: one per symbol (each at least frequency 1) plus the leading zero.
    private const int CdfLengthLimit = Total + 1;

    /// <summary>Top bits of the cumulative frequency that index the decoder's lookup (8: 33 KB for 64 tables; see docs/performance.md).</summary>
    internal const int LookupBits = 8;

    internal const int LookupShift = Precision - LookupBits;

    /// <summary>Lookup entries per table: one per slot plus the end.</summary>
    internal const int LookupStride = (1 << LookupBits) + 1;

    /// <summary>Extra 65536 entries after the widest row, so that the decoder may look a few entries past a row's end.</summary>
    internal const int RowPadding = 8;

    // Flattened CDFs, row t at t * Stride; each row continues with 65536 up to the stride, so no comparison runs off a row.
    private readonly int[] _cdf;
    private readonly int[] _cdfLengths;
    private readonly int[] _offsets;
    // Per table, LookupStride entries: entry k is the symbol whose interval holds the cumulative frequency
    // k << LookupShift, and the last entry is the escape symbol. The symbols of slot k are entry k .. entry k + 1.
    private readonly ushort[] _lookup;

    private QuantizedCdfTable(int[] cdf, int stride, int maxLength, int[] cdfLengths, int[] offsets)
    {
        _cdf = cdf;
        Stride = stride;
        MaxLength = maxLength;
        _cdfLengths = cdfLengths;
        _offsets = offsets;
        _lookup = BuildLookup(cdf, stride, cdfLengths);
        Rows = new TableRow[cdfLengths.Length];
        for (int t = 0; t < Rows.Length; t++)
            Rows[t] = new TableRow(t * stride, t * LookupStride, cdfLengths[t] - 2, offsets[t]);
    }

    /// <summary>What the coder needs per table, in one place (one cache line for four tables).</summary>
    /// <param name="CdfStart">Index of the table's first CDF entry in <see cref="CdfData"/>.</param>
    /// <param name="LookupStart">Index of the table's first entry in <see cref="LookupData"/>.</param>
    /// <param name="EscapeSymbol">The escape symbol's index, <c>cdfLength - 2</c>.</param>
    /// <param name="Offset">The symbol value of index 0.</param>
    internal readonly record struct TableRow(int CdfStart, int LookupStart, int EscapeSymbol, int Offset);

    internal TableRow[] Rows { get; }

    /// <summary>Number of tables.</summary>
    public int Count => _cdfLengths.Length;

    /// <summary>Row width of CompressAI's zero-padded layout, normally the longest CDF (<c>max_length + 2</c>).</summary>
    public int MaxLength { get; }

    internal int Stride { get; }

    internal int[] CdfData => _cdf;

    internal int[] CdfLengthData => _cdfLengths;

    internal int[] OffsetData => _offsets;

    internal ushort[] LookupData => _lookup;

    /// <summary>The CDF of table <paramref name="table"/>: <see cref="GetCdfLength"/> entries from 0 to 65536.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="table"/> is not in <c>[0, Count)</c>.</exception>
    public ReadOnlySpan<int> GetCdf(int table) => _cdf.AsSpan(CheckTable(table) * Stride, _cdfLengths[table]);

    /// <summary>Number of CDF entries of table <paramref name="table"/> (number of symbols including the escape, plus one).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="table"/> is not in <c>[0, Count)</c>.</exception>
    public int GetCdfLength(int table) => _cdfLengths[CheckTable(table)];

    /// <summary>The symbol value coded by index 0 of table <paramref name="table"/> (CompressAI's <c>_offset</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="table"/> is not in <c>[0, Count)</c>.</exception>
    public int GetOffset(int table) => _offsets[CheckTable(table)];

    private int CheckTable(int table)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(table);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(table, Count);
        return table;
    }

    /// <summary>
    /// Creates a table set from CompressAI's layout: <paramref name="cdfs"/> holds one row of
    /// <paramref name="rowStride"/> entries per table (zero padded after the row's length).
    /// </summary>
    /// <param name="cdfs">The rows, table after table (<c>cdfLengths.Length * rowStride</c> values).</param>
    /// <param name="rowStride">Width of a row (CompressAI: <c>max_length + 2</c>).</param>
    /// <param name="cdfLengths">Number of valid entries of each row.</param>
    /// <param name="offsets">The symbol value of index 0 of each table.</param>
    /// <exception cref="CompassFormatException">The rows are not valid 16-bit CDFs or the shapes disagree.</exception>
    public static QuantizedCdfTable Create(ReadOnlySpan<int> cdfs, int rowStride, ReadOnlySpan<int> cdfLengths, ReadOnlySpan<int> offsets)
    {
        if (cdfLengths.Length == 0) throw new CompassFormatException("Entropy table set is empty.");
        if (offsets.Length != cdfLengths.Length)
            throw new CompassFormatException($"Entropy tables: {cdfLengths.Length} CDF lengths but {offsets.Length} offsets.");
        if (rowStride < 3 || rowStride > CdfLengthLimit)
            throw new CompassFormatException($"Entropy tables: row width {rowStride} is outside 3..{CdfLengthLimit}.");
        if ((long)rowStride * cdfLengths.Length != cdfs.Length)
            throw new CompassFormatException($"Entropy tables: {cdfs.Length} CDF values, expected {cdfLengths.Length} rows of {rowStride}.");

        int stride = rowStride + RowPadding;
        var data = new int[checked(cdfLengths.Length * stride)];
        for (int t = 0; t < cdfLengths.Length; t++)
        {
            var row = cdfs.Slice(t * rowStride, rowStride);
            Validate(t, row, cdfLengths[t]);
            row[..cdfLengths[t]].CopyTo(data.AsSpan(t * stride));
            data.AsSpan(t * stride + cdfLengths[t], stride - cdfLengths[t]).Fill(Total);
        }
        return new QuantizedCdfTable(data, stride, rowStride, cdfLengths.ToArray(), offsets.ToArray());
    }

    /// <summary>Creates a table set from one CDF array per table (each array's length is its CDF length).</summary>
    /// <param name="cdfs">One CDF per table, each rising strictly from 0 to 65536.</param>
    /// <param name="offsets">The symbol value of index 0 of each table.</param>
    /// <exception cref="CompassFormatException">A CDF is invalid or the counts disagree.</exception>
    public static QuantizedCdfTable Create(IReadOnlyList<int[]> cdfs, ReadOnlySpan<int> offsets)
    {
        ArgumentNullException.ThrowIfNull(cdfs);
        int stride = 0;
        var lengths = new int[cdfs.Count];
        for (int t = 0; t < cdfs.Count; t++)
        {
            lengths[t] = cdfs[t]?.Length ?? throw new CompassFormatException($"Entropy table {t} is missing.");
            stride = Math.Max(stride, lengths[t]);
        }
        var padded = new int[checked(stride * cdfs.Count)];
        for (int t = 0; t < cdfs.Count; t++) cdfs[t].CopyTo(padded, t * stride);
        return Create(padded, stride, lengths, offsets);
    }

    /// <summary>
    /// The tables in CompressAI's layout: <see cref="Count"/> rows of <see cref="MaxLength"/> entries,
    /// zero padded (what a model bundle stores as <c>_quantized_cdf</c>).
    /// </summary>
    public int[] ToPaddedArray()
    {
        var result = new int[Count * MaxLength];
        for (int t = 0; t < Count; t++) GetCdf(t).CopyTo(result.AsSpan(t * MaxLength));
        return result;
    }

    private static void Validate(int table, ReadOnlySpan<int> row, int length)
    {
        // At least one regular symbol plus the escape symbol: a lone escape would need frequency 65536, which rANS cannot code.
        if (length < 3 || length > row.Length)
            throw new CompassFormatException($"Entropy table {table}: CDF length {length} is outside 3..{row.Length}.");
        if (row[0] != 0)
            throw new CompassFormatException($"Entropy table {table}: CDF starts at {row[0]}, expected 0.");
        if (row[length - 1] != Total)
            throw new CompassFormatException($"Entropy table {table}: CDF ends at {row[length - 1]}, expected {Total}.");
        for (int i = 1; i < length; i++)
        {
            if (row[i] <= row[i - 1])
                throw new CompassFormatException($"Entropy table {table}: symbol {i - 1} has frequency {(long)row[i] - row[i - 1]} (CDF must rise strictly).");
        }
    }

    private static ushort[] BuildLookup(int[] cdf, int stride, int[] lengths)
    {
        const int slots = 1 << LookupBits;
        var lookup = new ushort[lengths.Length * LookupStride];
        for (int t = 0; t < lengths.Length; t++)
        {
            var row = cdf.AsSpan(t * stride, lengths[t]);
            var dest = lookup.AsSpan(t * LookupStride, LookupStride);
            int s = 0;
            for (int slot = 0; slot < slots; slot++)
            {
                int cum = slot << LookupShift;
                while (row[s + 1] <= cum) s++;
                dest[slot] = (ushort)s;
            }
            dest[slots] = (ushort)(lengths[t] - 2);
        }
        return lookup;
    }
}
