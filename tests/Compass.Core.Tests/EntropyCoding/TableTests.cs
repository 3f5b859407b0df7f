using Compass.EntropyCoding;
using CsCheck;

namespace Compass.Tests.EntropyCoding;

public class QuantizedCdfTableTests
{
    [Fact]
    public void KeepsRowsLengthsAndOffsets()
    {
        var table = QuantizedCdfTable.Create([0, 10, 65536, 0, 0, 0, 1, 2, 3, 65536], 5, [3, 5], [-1, 4]);
        Assert.Equal(2, table.Count);
        Assert.Equal(5, table.MaxLength);
        Assert.Equal([0, 10, 65536], table.GetCdf(0).ToArray());
        Assert.Equal([0, 1, 2, 3, 65536], table.GetCdf(1).ToArray());
        Assert.Equal(4, table.GetOffset(1));
        Assert.Equal([0, 10, 65536, 0, 0, 0, 1, 2, 3, 65536], table.ToPaddedArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => table.GetCdf(2).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.GetOffset(-1));
    }

    public static TheoryData<int[], int> InvalidRows => new()
    {
        { [1, 10, 65536], 3 },          // does not start at 0
        { [0, 10, 65535], 3 },          // does not end at 65536
        { [0, 10, 10, 65536], 4 },      // zero frequency
        { [0, 20, 10, 65536], 4 },      // falls
        { [0, 65536, 65536], 2 },       // lone escape symbol
        { [0, 10, 65536], 4 },          // length beyond the row
        { [0, 10, 65536], 0 },
    };

    [Theory]
    [MemberData(nameof(InvalidRows))]
    public void RejectsInvalidRows(int[] row, int length) =>
        Assert.Throws<CompassFormatException>(() => QuantizedCdfTable.Create(row, row.Length, [length], [0]));

    [Fact]
    public void RejectsMismatchedShapes()
    {
        Assert.Throws<CompassFormatException>(() => QuantizedCdfTable.Create([0, 1, 65536], 3, [3], [0, 0]));
        Assert.Throws<CompassFormatException>(() => QuantizedCdfTable.Create([0, 1, 65536, 0], 3, [3], [0]));
        Assert.Throws<CompassFormatException>(() => QuantizedCdfTable.Create([], 3, [], []));
    }
}

public class PmfQuantizerTests
{
    [Fact]
    public void ExactPmfWithZeroTailStealsFromTheFirstSmallestFrequency()
    {
        // Frequencies 16384, 32768, 16384, 0: the tail takes one unit from symbol 0 (first of the smallest).
        Assert.Equal([0, 16383, 49151, 65535, 65536], PmfQuantizer.ToQuantizedCdf([0.25f, 0.5f, 0.25f, 0f]));
    }

    [Fact]
    public void ZeroFrequenciesOnBothSidesStealFromTheRightAndTheLeft()
    {
        // Symbol 0 takes from symbol 2 (to its right), then the tail takes from symbol 2 again (to its left).
        Assert.Equal([0, 1, 49153, 65535, 65536], PmfQuantizer.ToQuantizedCdf([0f, 0.75f, 0.25f, 0f]));
    }

    [Fact]
    public void CountsAreRenormalisedWithIntegerDivision()
    {
        // round(p * 65536) = 6554, 13107, 19661 (sum 39322), then floor(65536 * c / 39322) = 10923, 21844, 32768,
        // summed; the last entry is forced to 65536.
        Assert.Equal([0, 10923, 32767, 65536], PmfQuantizer.ToQuantizedCdf([0.1f, 0.2f, 0.3f]));
    }

    [Fact]
    public void RejectsInvalidPmfs()
    {
        Assert.Throws<ArgumentException>(() => PmfQuantizer.ToQuantizedCdf([]));
        Assert.Throws<ArgumentException>(() => PmfQuantizer.ToQuantizedCdf([0f, 0f]));
        Assert.Throws<ArgumentException>(() => PmfQuantizer.ToQuantizedCdf([-0.1f, 1f]));
        Assert.Throws<ArgumentException>(() => PmfQuantizer.ToQuantizedCdf([float.NaN, 1f]));
        Assert.Throws<ArgumentException>(() => PmfQuantizer.ToQuantizedCdf([1.5f]));
    }

    [Fact]
    public void AnyPmfGivesAValidCdf()
    {
        Gen.Frequency((3, Gen.Single[0f, 1f]), (1, Gen.Const(0f)), (1, Gen.Single[0f, 1e-6f])).Array[2, 300] // a table needs one regular symbol plus the escape
            .Where(p => p.Any(v => v > 1e-4f))
            .Sample(pmf =>
            {
                var cdf = PmfQuantizer.ToQuantizedCdf(pmf);
                Assert.Equal(pmf.Length + 1, cdf.Length);
                _ = QuantizedCdfTable.Create([cdf], [0]); // validates: starts 0, ends 65536, strictly rising
            }, iter: 300);
    }
}

public class FactorizedTableBuilderTests
{
    [Fact]
    public void BuildsOneTablePerChannelWithTheTailAsEscape()
    {
        var tables = FactorizedTableBuilder.FromPmfs(
            [[0.25f, 0.5f, 0.25f], [0.1f, 0.2f]],
            [0f, 0.3f],
            [-1, 0]);

        Assert.Equal(2, tables.Count);
        Assert.Equal([0, 16383, 49151, 65535, 65536], tables.GetCdf(0).ToArray());
        Assert.Equal([0, 10923, 32767, 65536], tables.GetCdf(1).ToArray());
        Assert.Equal(-1, tables.GetOffset(0));
        Assert.Equal(0, tables.GetOffset(1));
        Assert.Equal(5, tables.MaxLength);

        int[] symbols = [-1, 0, 1, 2, -5, 0, 1, 2, -1];
        int[] indexes = [0, 0, 0, 0, 0, 1, 1, 1, 1];
        var decoded = new int[symbols.Length];
        RansDecoder.Decode(RansEncoder.Encode(symbols, indexes, tables), indexes, tables, decoded);
        Assert.Equal(symbols, decoded);
    }

    [Theory]
    [InlineData(-3.2f, 0.4f, 5.1f, -4, 10, -3.6f)]
    [InlineData(-3.0f, 0f, 3.0f, -3, 7, -3f)]
    [InlineData(1f, 0.5f, 0.2f, 0, 1, 0.5f)] // inverted quantiles clamp to zero width
    public void SupportFollowsTheQuantiles(float lower, float median, float upper, int offset, int length, float start)
    {
        var support = FactorizedTableBuilder.GetSupport(lower, median, upper);
        Assert.Equal(offset, support.Offset);
        Assert.Equal(length, support.PmfLength);
        Assert.Equal(start, support.PmfStart);
    }

    [Fact]
    public void RejectsMismatchedCounts() =>
        Assert.Throws<ArgumentException>(() => FactorizedTableBuilder.FromPmfs([[0.5f, 0.5f]], [0f, 0f], [0]));
}

public class GaussianTableBuilderTests
{
    [Fact]
    public void DefaultTablesHaveCompressAiShapes()
    {
        var tables = TestTables.Gaussian;
        Assert.Equal(64, tables.Count);
        // ceil(0.11 * 6.1094) = 1 and ceil(256 * 6.1094) = 1565 symbols each side of zero.
        Assert.Equal(-1, tables.GetOffset(0));
        Assert.Equal(5, tables.GetCdfLength(0));
        Assert.Equal(-1565, tables.GetOffset(63));
        Assert.Equal(2 * 1565 + 3, tables.MaxLength);
    }

    [Fact]
    public void NormalQuantileInvertsTheCdf()
    {
        Assert.Equal(-6.109410204869, NormalDistribution.Quantile(5e-10), 9);
        foreach (double p in new[] { 1e-12, 1e-5, 0.01, 0.3, 0.5, 0.9 })
            Assert.Equal(p, NormalDistribution.Cdf(NormalDistribution.Quantile(p)), p * 1e-12);
        Assert.Equal(0.157299207050285, NormalDistribution.Erfc(1), 14);
        Assert.Equal(1.5374597944280349e-12, NormalDistribution.Erfc(5), 1e-25);
    }
}

public class ScaleTableIndexerTests
{
    private static readonly float[] Scales = GaussianTableBuilder.DefaultScaleTable();
    private static readonly ScaleTableIndexer Indexer = new(Scales);

    [Fact]
    public void MapsEachScaleToTheFirstTableAtOrAboveIt()
    {
        for (int i = 0; i < Scales.Length; i++)
        {
            Assert.Equal(i, Indexer.GetIndex(Scales[i]));
            if (i > 0) Assert.Equal(i, Indexer.GetIndex(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(Scales[i - 1]) + 1)));
        }
    }

    [Theory]
    [InlineData(0f, 0)]
    [InlineData(-5f, 0)]
    [InlineData(float.NegativeInfinity, 0)]
    [InlineData(1e-30f, 0)]
    [InlineData(1e6f, 63)]
    [InlineData(float.PositiveInfinity, 63)]
    [InlineData(float.NaN, 63)]
    public void HandlesExtremeScales(float scale, int expected)
    {
        Assert.Equal(expected, Indexer.GetIndex(scale));
        var indexes = new int[40];
        Indexer.GetIndexes(Enumerable.Repeat(scale, 40).ToArray(), indexes);
        Assert.All(indexes, index => Assert.Equal(expected, index));
    }

    [Fact]
    public void VectorAndScalarPathsAgree()
    {
        var scale = Gen.Frequency((8, Gen.Single[0f, 300f]), (1, Gen.Single), (1, Gen.Int[0, 63].Select(i => Scales[i])));
        scale.Array[0, 100].Sample(values =>
        {
            var indexes = new int[values.Length];
            Indexer.GetIndexes(values, indexes);
            Assert.Equal(Array.ConvertAll(values, Indexer.GetIndex), indexes);
        }, iter: 300);
    }

    [Fact]
    public void RejectsTablesThatAreNotAscending()
    {
        Assert.Throws<CompassFormatException>(() => new ScaleTableIndexer([]));
        Assert.Throws<CompassFormatException>(() => new ScaleTableIndexer([1f, 1f]));
        Assert.Throws<CompassFormatException>(() => new ScaleTableIndexer([1f, float.NaN]));
    }
}
