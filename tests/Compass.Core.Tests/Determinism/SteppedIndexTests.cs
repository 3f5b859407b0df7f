using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using Compass.Determinism;
using Compass.EntropyCoding;
using Xunit.Abstractions;

namespace Compass.Core.Tests.Determinism;

/// <summary>
/// Table indexes at a quantisation step D = stepQ16 / 65536 (variable-rate models): the index of sigma / D, computed
/// exactly, so every machine, instruction set and thread count agrees. CI reruns the Determinism category with
/// DOTNET_EnableHWIntrinsic=0, where the golden hash must not move.
/// </summary>
[Trait("Category", "Determinism")]
public sealed class SteppedIndexTests(ITestOutputHelper log)
{
    private const int YH = 32, YW = 48;
    private static readonly int[] Steps = [1, 3, 40000, 65536, 98304, 131072, 1 << 20, (1 << 24) - 1];
    private static readonly Lazy<SyntheticHyperScales> Synthetic = new(() => SyntheticHyperScales.Create(32, 48, 20261205));

    private static int[] Indexes(SyntheticHyperScales s, int[] acc, int stepQ16, int dop, KernelPath path)
    {
        var indexes = new int[acc.Length];
        s.Model.IndexesFromAccumulators(acc, YH, YW, stepQ16, indexes, dop, path);
        return indexes;
    }

    private static (int[] Acc, SyntheticHyperScales S) Accumulators(ulong seed)
    {
        var s = Synthetic.Value;
        var (zh, zw) = FixedPointHyperScales.ZSize(YH, YW);
        var (symbols, medians) = s.Inputs(zh, zw, seed);
        return (s.Model.ComputeAccumulators(symbols, medians, zh, zw, YH, YW, 1, KernelPath.Scalar), s);
    }

    [Fact]
    public void FixedPointIndexes_AreTheExactIndexOfSigmaOverD()
    {
        var (acc, s) = Accumulators(3);
        var table = s.Model.ScaleTable.ToArray();
        var bits = s.Model.Layers[^1].AccFractionBits;
        int plane = YH * YW;
        foreach (int step in Steps)
        {
            var indexes = Indexes(s, acc, step, 1, KernelPath.Scalar);
            for (int i = 0; i < acc.Length; i++)
            {
                // Reference without thresholds: acc / 2^f <= t * D  <=>  acc * 2^(16 - f) <= t * stepQ16, both sides exact in double.
                double lhs = Math.ScaleB(acc[i], 16 - bits[i / plane]);
                int expected = table.Length - 1;
                for (int t = 0; t < table.Length - 1; t++)
                {
                    if (s.Model.LowerBound <= table[t] && lhs <= table[t] * (double)step) expected--;
                }
                Assert.Equal(expected, indexes[i]);
            }
        }
    }

    [Fact]
    public void StepOne_IsTheUnsteppedPath_AndACoarserStepNeverRaisesAnIndex()
    {
        var s = Synthetic.Value;
        var (zh, zw) = FixedPointHyperScales.ZSize(YH, YW);
        var (symbols, medians) = s.Inputs(zh, zw, 5);
        var plain = new int[s.Weights.M * YH * YW];
        s.Model.ComputeIndexes(symbols, medians, zh, zw, YH, YW, plain);
        var acc = s.Model.ComputeAccumulators(symbols, medians, zh, zw, YH, YW);
        Assert.Equal(plain, Indexes(s, acc, 65536, -1, FixedPointKernels.BestPath));

        var finer = Indexes(s, acc, 40000, 1, KernelPath.Scalar);
        var coarser = Indexes(s, acc, 98304, 1, KernelPath.Scalar);
        Assert.All(finer.Zip(plain), p => Assert.True(p.First >= p.Second));
        Assert.All(coarser.Zip(plain), p => Assert.True(p.First <= p.Second));
        Assert.NotEqual(plain, coarser);
    }

    [Fact]
    public void SimdScalarAndThreadCounts_AgreeAtEveryStep()
    {
        var (acc, s) = Accumulators(7);
        var paths = new List<KernelPath> { KernelPath.Scalar };
        if (Vector.IsHardwareAccelerated && Vector<int>.Count <= 8) paths.Add(KernelPath.Vector);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) paths.Add(KernelPath.Avx2);
        foreach (int step in Steps)
        {
            var scalar = Indexes(s, acc, step, 1, KernelPath.Scalar);
            foreach (var path in paths)
            {
                Assert.Equal(scalar, Indexes(s, acc, step, 2, path));
                Assert.Equal(scalar, Indexes(s, acc, step, -1, path));
            }
        }
    }

    [Fact]
    public void FloatPath_IndexesTheScaleOverD()
    {
        // With D a power of two, scale / D is exact in float: the stepped path must equal the plain index of it.
        var table = GaussianTableBuilder.DefaultScaleTable();
        var indexer = new ScaleTableIndexer(table);
        var rng = new Random(11);
        var scales = Enumerable.Range(0, 4096).Select(_ => (float)Math.Exp((rng.NextDouble() * 9) - 3)).Concat([float.NaN, 0, 0.11f, table[10], table[^1]]).ToArray();
        foreach (var (stepQ16, d) in new[] { (131072, 2f), (16384, 0.25f), (65536, 1f) })
        {
            var stepped = new int[scales.Length];
            indexer.GetIndexes(scales, stepped, stepQ16);
            for (int i = 0; i < scales.Length; i++) Assert.Equal(indexer.GetIndex(scales[i] / d), stepped[i]);
        }
    }

    /// <summary>A change of the stepped threshold arithmetic shows here, on every instruction set.</summary>
    [Fact]
    public void GoldenSteppedIndexHash()
    {
        var (acc, s) = Accumulators(23);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (int step in Steps)
        {
            var indexes = Indexes(s, acc, step, -1, FixedPointKernels.BestPath);
            var bytes = new byte[indexes.Length * 4];
            for (int i = 0; i < indexes.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), indexes[i]);
            sha.AppendData(bytes);
        }
        string hash = Convert.ToHexString(sha.GetHashAndReset());
        log.WriteLine($"kernel {FixedPointKernels.BestPath}; stepped indexes {hash}");
        Assert.Equal(GoldenSteppedIndexes, hash);
    }

    private const string GoldenSteppedIndexes = "F06598976F42A0524096BB25D39EBCD7FBC96A35DD223593F60078A0812D2FCC";
}
