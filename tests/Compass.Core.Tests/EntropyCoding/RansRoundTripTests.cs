using System.Buffers;
using Compass.EntropyCoding;
using CsCheck;

namespace Compass.Tests.EntropyCoding;

public class RansRoundTripTests
{
    private static int[] RoundTrip(int[] symbols, int[] indexes, QuantizedCdfTable tables)
    {
        var bytes = RansEncoder.Encode(symbols, indexes, tables);
        Assert.True(bytes.Length >= 8 && bytes.Length % 4 == 0);
        var decoded = new int[symbols.Length];
        RansDecoder.Decode(bytes, indexes, tables, decoded);
        return decoded;
    }

    [Fact]
    public void EmptyStreamIsTheFlushedInitialState()
    {
        var bytes = RansEncoder.Encode([], [], TestTables.Gaussian);
        // State 2^31, written as two little-endian words.
        Assert.Equal(new byte[] { 0, 0, 0, 0x80, 0, 0, 0, 0 }, bytes);
        RansDecoder.Decode(bytes, [], TestTables.Gaussian, []);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 63)]
    [InlineData(1, 0)]
    [InlineData(-1, 0)]
    [InlineData(5000, 63)]
    [InlineData(-5000, 63)]
    [InlineData(int.MaxValue, 0)]
    [InlineData(int.MinValue, 0)]
    [InlineData(int.MaxValue, 63)]
    [InlineData(int.MinValue, 63)]
    public void SingleSymbolRoundTrips(int symbol, int index) =>
        Assert.Equal([symbol], RoundTrip([symbol], [index], TestTables.Gaussian));

    [Fact]
    public void EveryBoundaryOfEveryGaussianTableRoundTrips()
    {
        var tables = TestTables.Gaussian;
        var symbols = new List<int>();
        var indexes = new List<int>();
        for (int t = 0; t < tables.Count; t++)
        {
            int low = tables.GetOffset(t);
            int high = low + tables.GetCdfLength(t) - 3;
            foreach (int s in new[] { low - 2, low - 1, low, low + 1, 0, high - 1, high, high + 1, high + 2, high + 100000 })
            {
                symbols.Add(s);
                indexes.Add(t);
            }
        }
        Assert.Equal(symbols, RoundTrip([.. symbols], [.. indexes], tables));
    }

    [Fact]
    public void AllEscapesIncludingInt32LimitsRoundTrip()
    {
        var random = new Random(7);
        var symbols = new int[5000];
        var indexes = new int[symbols.Length];
        for (int i = 0; i < symbols.Length; i++)
        {
            symbols[i] = (i % 5) switch
            {
                0 => int.MaxValue - random.Next(3),
                1 => int.MinValue + random.Next(3),
                2 => random.Next(2000, int.MaxValue),
                3 => -random.Next(2000, int.MaxValue),
                _ => random.Next() >> random.Next(31) | 1 << 12,
            };
            indexes[i] = random.Next(64);
        }
        Assert.Equal(symbols, RoundTrip(symbols, indexes, TestTables.Gaussian));
    }

    [Fact]
    public void SingleSymbolTableCodesItsSymbolAndEscapesEverythingElse()
    {
        var table = TestTables.SingleSymbol(offset: 3);
        int[] symbols = [3, 3, 4, 2, 3, int.MaxValue, int.MinValue + 3, 3, -100, 100];
        Assert.Equal(symbols, RoundTrip(symbols, new int[symbols.Length], table));
    }

    [Fact]
    public void SymbolsTooFarFromAPositiveOffsetAreRejected()
    {
        // value = symbol - offset = int.MinValue - int.MaxValue needs 33 raw bits.
        var table = TestTables.SingleSymbol(offset: int.MaxValue);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RansEncoder.Encode([int.MinValue], [0], table));
        Assert.Equal("symbols", error.ParamName);
    }

    [Fact]
    public void IndexesOutsideTheTableSetAreRejected()
    {
        var tables = TestTables.Small();
        Assert.Throws<ArgumentOutOfRangeException>(() => RansEncoder.Encode([0, 0], [0, 4], tables));
        Assert.Throws<ArgumentOutOfRangeException>(() => RansEncoder.Encode([0], [-1], tables));
        var bytes = RansEncoder.Encode([0], [0], tables);
        Assert.Throws<ArgumentOutOfRangeException>(() => RansDecoder.Decode(bytes, [9], tables, new int[1]));
        Assert.Throws<ArgumentException>(() => RansEncoder.Encode([0, 1], [0], tables));
        Assert.Throws<ArgumentException>(() => RansDecoder.Decode(bytes, [0], tables, new int[2]));
    }

    [Fact]
    public void BufferWriterOverloadAppendsTheSameBytes()
    {
        int[] symbols = [0, 1, -1, 7, 300];
        int[] indexes = [10, 20, 30, 0, 63];
        var expected = RansEncoder.Encode(symbols, indexes, TestTables.Gaussian);
        var writer = new ArrayBufferWriter<byte>();
        writer.Write(new byte[] { 1, 2, 3 });

        int written = RansEncoder.Encode(symbols, indexes, TestTables.Gaussian, writer);

        Assert.Equal(expected.Length, written);
        Assert.Equal([1, 2, 3, .. expected], writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void LargeGaussianStreamRoundTripsAndNeedsAboutTheIdealNumberOfBits()
    {
        var tables = TestTables.Gaussian;
        var (symbols, indexes) = GaussianLatent(200_000, seed: 3);
        var bytes = RansEncoder.Encode(symbols, indexes, tables);
        var decoded = new int[symbols.Length];
        RansDecoder.Decode(bytes, indexes, tables, decoded);
        Assert.Equal(symbols, decoded);

        double ideal = 0;
        for (int i = 0; i < symbols.Length; i++)
        {
            var cdf = tables.GetCdf(indexes[i]);
            int v = symbols[i] - tables.GetOffset(indexes[i]);
            Assert.InRange(v, 0, cdf.Length - 3); // no escapes in this stream
            ideal -= Math.Log2((cdf[v + 1] - cdf[v]) / 65536.0);
        }
        double overhead = bytes.Length * 8 / ideal - 1;
        Assert.InRange(overhead, 0, 0.005);
    }

    [Fact]
    public void RandomStreamsOverSmallTablesRoundTrip()
    {
        var tables = TestTables.Small();
        Gen.Select(Gen.Int[-1100, 1100], Gen.Int[0, 3]).Array[0, 400]
            .Sample(pairs =>
            {
                var symbols = Array.ConvertAll(pairs, p => p.Item1);
                var indexes = Array.ConvertAll(pairs, p => p.Item2);
                Assert.Equal(symbols, RoundTrip(symbols, indexes, tables));
            }, iter: 300);
    }

    [Fact]
    public void RandomStreamsWithAnyInt32SymbolRoundTrip()
    {
        var tables = TestTables.Gaussian;
        var symbol = Gen.Frequency((6, Gen.Int[-20, 20]), (1, Gen.Int), (1, Gen.Int[-70000, 70000]));
        Gen.Select(symbol, Gen.Int[0, 63]).Array[0, 200]
            .Sample(pairs =>
            {
                var symbols = Array.ConvertAll(pairs, p => p.Item1);
                var indexes = Array.ConvertAll(pairs, p => p.Item2);
                Assert.Equal(symbols, RoundTrip(symbols, indexes, tables));
            }, iter: 200);
    }

    /// <summary>Symbols drawn from the Gaussian table of a random index (what a y latent looks like to the coder).</summary>
    internal static (int[] Symbols, int[] Indexes) GaussianLatent(int count, int seed)
    {
        var random = new Random(seed);
        var scales = GaussianTableBuilder.DefaultScaleTable();
        var symbols = new int[count];
        var indexes = new int[count];
        for (int i = 0; i < count; i++)
        {
            int t = random.Next(48); // scales up to ~40, like a trained model's y
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            double normal = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            symbols[i] = (int)Math.Round(normal * scales[t]);
            indexes[i] = t;
        }
        return (symbols, indexes);
    }
}
