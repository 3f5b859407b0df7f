using Compass.EntropyCoding;

namespace Compass.Tests.EntropyCoding;

/// <summary>Tables shared by the coder tests (building the Gaussian set once keeps the suite fast).</summary>
internal static class TestTables
{
    private static readonly Lazy<QuantizedCdfTable> LazyGaussian = new(() => GaussianTableBuilder.Build(GaussianTableBuilder.DefaultScaleTable()));

    /// <summary>CompressAI's 64 default Gaussian tables.</summary>
    public static QuantizedCdfTable Gaussian => LazyGaussian.Value;

    /// <summary>One table with a single regular symbol (value 0) and the escape symbol.</summary>
    public static QuantizedCdfTable SingleSymbol(int offset = 0) => QuantizedCdfTable.Create([[0, 65535, 65536]], [offset]);

    /// <summary>A few small handmade tables with different offsets, lengths and skew.</summary>
    public static QuantizedCdfTable Small() => QuantizedCdfTable.Create(
        [
            [0, 1, 65536 - 1, 65536],
            [0, 30000, 60000, 65000, 65535, 65536],
            [0, 100, 200, 65536],
            [0, 65534, 65535, 65536],
        ],
        [-1, -2, 5, -1000]);
}
