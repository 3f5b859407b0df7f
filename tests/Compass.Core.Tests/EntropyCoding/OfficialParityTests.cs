using Compass.EntropyCoding;
using Xunit.Abstractions;

namespace Compass.Tests.EntropyCoding;

/// <summary>Byte and table parity with CompressAI as run by the official COMPASS code (fixtures in ../shared).</summary>
public class OfficialParityTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("a37x53")]
    [InlineData("b64x96")]
    public void YStringMatchesCompressAiByteForByte(string input)
    {
        var tables = OfficialTables.Tables("gc");
        var symbols = OfficialTables.Load(input + "_y_symbols").AsInt();
        var indexes = OfficialTables.Load(input + "_y_indexes").AsInt();
        var expected = OfficialTables.Load(input + "_y_string").AsBytes();

        var actual = RansEncoder.Encode(symbols, indexes, tables);

        output.WriteLine($"{symbols.Length} symbols, {CountEscapes(symbols, indexes, tables)} escaped, {expected.Length} bytes");
        Assert.Equal(expected, actual);
        var decoded = new int[symbols.Length];
        RansDecoder.Decode(expected, indexes, tables, decoded);
        Assert.Equal(symbols, decoded);
    }

    [SkippableTheory]
    [InlineData("a37x53")]
    [InlineData("b64x96")]
    public void ZStringMatchesCompressAiByteForByte(string input)
    {
        var tables = OfficialTables.Tables("eb");
        var z = OfficialTables.Load(input + "_z_symbols");
        var symbols = z.AsInt();
        var indexes = OfficialTables.ChannelIndexes(z.Shape);
        var expected = OfficialTables.Load(input + "_z_string").AsBytes();

        var actual = RansEncoder.Encode(symbols, indexes, tables);

        output.WriteLine($"{symbols.Length} symbols, {CountEscapes(symbols, indexes, tables)} escaped, {expected.Length} bytes");
        Assert.Equal(expected, actual);
        var decoded = new int[symbols.Length];
        RansDecoder.Decode(expected, indexes, tables, decoded);
        Assert.Equal(symbols, decoded);
    }

    private static int CountEscapes(int[] symbols, int[] indexes, QuantizedCdfTable tables)
    {
        int count = 0;
        for (int i = 0; i < symbols.Length; i++)
        {
            long v = (long)symbols[i] - tables.GetOffset(indexes[i]);
            if (v < 0 || v >= tables.GetCdfLength(indexes[i]) - 2) count++;
        }
        return count;
    }

    [SkippableTheory]
    [InlineData("a37x53")]
    [InlineData("b64x96")]
    public void ScaleIndexesMatchBuildIndexes(string input)
    {
        var scaleTable = OfficialTables.Load("gc_scale_table").AsFloat();
        var scales = OfficialTables.Load(input + "_scales").AsFloat();
        var expected = OfficialTables.Load(input + "_y_indexes").AsInt();
        var indexer = new ScaleTableIndexer(scaleTable);

        var actual = new int[scales.Length];
        indexer.GetIndexes(scales, actual);

        Assert.Equal(expected, actual);
        Assert.Equal(expected, Array.ConvertAll(scales, indexer.GetIndex));
    }

    [SkippableFact]
    public void GaussianTablesMatchTheCheckpointBuffers()
    {
        var scaleTable = OfficialTables.Load("gc_scale_table").AsFloat();
        var expected = OfficialTables.Tables("gc");

        var built = GaussianTableBuilder.Build(scaleTable);

        Assert.Equal(expected.Count, built.Count);
        Assert.Equal(expected.MaxLength, built.MaxLength);
        int differing = 0;
        for (int t = 0; t < expected.Count; t++)
        {
            Assert.Equal(expected.GetOffset(t), built.GetOffset(t));
            Assert.Equal(expected.GetCdfLength(t), built.GetCdfLength(t));
            var e = expected.GetCdf(t);
            var b = built.GetCdf(t);
            for (int i = 0; i < e.Length; i++)
            {
                if (e[i] == b[i]) continue;
                differing++;
                output.WriteLine($"table {t} (scale {scaleTable[t]}), entry {i}: expected {e[i]}, built {b[i]}");
            }
        }
        Assert.Equal(0, differing);
        Assert.Equal(expected.ToPaddedArray(), built.ToPaddedArray());
    }

    [SkippableFact]
    public void DefaultScaleTableMatchesCompressAi()
    {
        var expected = OfficialTables.Load("gc_scale_table").AsFloat();
        var actual = GaussianTableBuilder.DefaultScaleTable();
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                output.WriteLine($"scale {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void FactorizedSupportMatchesTheCheckpointBuffers()
    {
        var quantiles = OfficialTables.Load("eb_quantiles").AsFloat();
        var offsets = OfficialTables.Load("eb_offset").AsInt();
        var lengths = OfficialTables.Load("eb_cdf_length").AsInt();
        for (int c = 0; c < offsets.Length; c++)
        {
            var support = FactorizedTableBuilder.GetSupport(quantiles[3 * c], quantiles[3 * c + 1], quantiles[3 * c + 2]);
            Assert.Equal(offsets[c], support.Offset);
            Assert.Equal(lengths[c], support.PmfLength + 2);
        }
    }
}
