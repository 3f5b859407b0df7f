using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using Compass.Determinism;
using Compass.EntropyCoding;
using Xunit.Abstractions;

namespace Compass.Core.Tests.Determinism;

/// <summary>
/// The deterministic scale path: agreement with the float h_s, invariance to float noise, thread count and
/// instruction set, and a golden hash of the indexes (rerun with DOTNET_EnableHWIntrinsic=0 in CI).
/// </summary>
[Trait("Category", "Determinism")]
public sealed class FixedPointHyperScalesTests(ITestOutputHelper log)
{
    // Kodak 768x512 base layer: y 32x48, z 8x12. Odd sizes exercise every crop.
    private const int YH = 32, YW = 48;

    private static readonly Lazy<SyntheticHyperScales> Synthetic = new(() => SyntheticHyperScales.Create(32, 48, 20261125));
    private static readonly QuantizedCdfTable Tables = GaussianTableBuilder.Build(GaussianTableBuilder.DefaultScaleTable());
    private static readonly ScaleTableIndexer FloatIndexer = new(GaussianTableBuilder.DefaultScaleTable());

    private static int[] Indexes(SyntheticHyperScales s, int[] symbols, float[] medians, int yh, int yw, int dop, KernelPath? path = null)
    {
        var (zh, zw) = FixedPointHyperScales.ZSize(yh, yw);
        var indexes = new int[s.Weights.M * yh * yw];
        s.Model.ComputeIndexes(symbols, medians, zh, zw, yh, yw, indexes, dop, path ?? FixedPointKernels.BestPath);
        return indexes;
    }

    [Theory]
    [InlineData(32, 48)]
    [InlineData(7, 5)]
    [InlineData(1, 1)]
    [InlineData(9, 16)]
    public void FixedIndexesAgreeWithTheFloatPathUpToBoundaryCases(int yh, int yw)
    {
        var s = Synthetic.Value;
        var (zh, zw) = FixedPointHyperScales.ZSize(yh, yw);
        var (symbols, medians) = s.Inputs(zh, zw, 7);
        var floatScales = s.FloatScales(symbols, medians, yh, yw);
        var floatIdx = new int[floatScales.Length];
        FloatIndexer.GetIndexes(floatScales, floatIdx);
        var fixedIdx = Indexes(s, symbols, medians, yh, yw, 1);

        var acc = s.Model.ComputeAccumulators(symbols, medians, zh, zw, yh, yw, 1, FixedPointKernels.BestPath);
        var bits = s.Model.Layers[^1].AccFractionBits;
        double maxErr = 0, maxScale = floatScales.Max(Math.Abs);
        for (int i = 0; i < acc.Length; i++)
            maxErr = Math.Max(maxErr, Math.Abs(Math.ScaleB(acc[i], -bits[i / (yh * yw)]) - floatScales[i]));
        int differing = floatIdx.Zip(fixedIdx).Count(p => p.First != p.Second);
        log.WriteLine($"y {yh}x{yw}: {differing} of {fixedIdx.Length} indexes differ; max |scale error| {maxErr:E2} (max |scale| {maxScale:F2}); float index range {floatIdx.Min()}..{floatIdx.Max()}");
        // Random weights are harsher than trained ones (see the Training fixture tests): bounds, not targets.
        Assert.True(maxErr < 0.01 * maxScale, $"scale error {maxErr}");
        Assert.True(differing <= Math.Max(1, fixedIdx.Length * 3 / 100), $"{differing} indexes differ");
        Assert.All(floatIdx.Zip(fixedIdx), p => Assert.InRange(p.First - p.Second, -1, 1));
    }

    [Fact]
    public void FloatNoiseFlipsFloatIndexesAndCorruptsDecodingButNotTheFixedPath()
    {
        var s = Synthetic.Value;
        var (zh, zw) = FixedPointHyperScales.ZSize(YH, YW);
        var (zSymbols, medians) = s.Inputs(zh, zw, 11);
        var scales = s.FloatScales(zSymbols, medians, YH, YW);
        var means = new SyntheticHyperScales.XorShift(5).Uniform(scales.Length, 3.0);
        // Another provider: every float of the h_s output off by a relative 1e-5 (sign alternating).
        float Perturb(float v, int i) => v * (1 + (i % 2 == 0 ? 1e-5f : -1e-5f));
        var scalesB = scales.Select(Perturb).ToArray();
        var meansB = means.Select(Perturb).ToArray();

        // The float path: the encoder's indexes come from scales, the decoder's from scalesB.
        var idxA = new int[scales.Length];
        var idxB = new int[scales.Length];
        FloatIndexer.GetIndexes(scales, idxA);
        FloatIndexer.GetIndexes(scalesB, idxB);
        int flips = idxA.Zip(idxB).Count(p => p.First != p.Second);
        var ySymbols = YSymbols(idxA, 3);
        var stream = RansEncoder.Encode(ySymbols, idxA, Tables);
        var decodedFloat = new int[ySymbols.Length];
        bool floatFailed = false;
        try
        {
            RansDecoder.Decode(stream, idxB, Tables, decodedFloat);
        }
        catch (CompassFormatException)
        {
            floatFailed = true;
        }
        int wrong = ySymbols.Zip(decodedFloat).Count(p => p.First != p.Second);
        log.WriteLine($"float path: {flips} of {idxA.Length} indexes flip under 1e-5 noise; decode {(floatFailed ? "threw" : $"gave {wrong} wrong symbols")}");
        Assert.True(flips > 0, "the perturbation should flip some float indexes (the failure the fixed path prevents)");
        Assert.True(floatFailed || wrong > 0);

        // The fixed path reads no float of the h_s output: encoder and decoder compute the same indexes, the
        // symbols decode exactly, and y_hat differs only by the means' own noise.
        var fixedEnc = Indexes(s, zSymbols, medians, YH, YW, 1);
        var fixedDec = Indexes(s, zSymbols, medians, YH, YW, 2);
        Assert.Equal(fixedEnc, fixedDec);
        var fixedStream = RansEncoder.Encode(ySymbols, fixedEnc, Tables);
        var decoded = new int[ySymbols.Length];
        RansDecoder.Decode(fixedStream, fixedDec, Tables, decoded);
        Assert.Equal(ySymbols, decoded);
        double maxYHat = 0;
        for (int i = 0; i < decoded.Length; i++) maxYHat = Math.Max(maxYHat, Math.Abs((decoded[i] + meansB[i]) - (ySymbols[i] + means[i])));
        log.WriteLine($"fixed path: symbols identical; max |y_hat drift| from the means' noise {maxYHat:E2}");
        Assert.True(maxYHat < 1e-4);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 1)]
    [InlineData(1, -1)]
    public void ThreadCountDoesNotChangeIndexesOrDecoding(int encoderThreads, int decoderThreads)
    {
        var s = Synthetic.Value;
        var (zh, zw) = FixedPointHyperScales.ZSize(YH, YW);
        var (zSymbols, medians) = s.Inputs(zh, zw, 13);
        var enc = Indexes(s, zSymbols, medians, YH, YW, encoderThreads);
        var dec = Indexes(s, zSymbols, medians, YH, YW, decoderThreads);
        Assert.Equal(enc, dec);
        var ySymbols = YSymbols(enc, 17);
        var decoded = new int[ySymbols.Length];
        RansDecoder.Decode(RansEncoder.Encode(ySymbols, enc, Tables), dec, Tables, decoded);
        Assert.Equal(ySymbols, decoded);
    }

    [Fact]
    public void SimdAndScalarKernelsAgreeExactly()
    {
        var s = Synthetic.Value;
        var paths = new List<KernelPath> { KernelPath.Scalar };
        if (Vector.IsHardwareAccelerated && Vector<int>.Count <= 8) paths.Add(KernelPath.Vector);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) paths.Add(KernelPath.Avx2);
        log.WriteLine($"paths: {string.Join(", ", paths)}");
        foreach (var (yh, yw) in new[] { (32, 48), (5, 9), (16, 24) })
        {
            var (zh, zw) = FixedPointHyperScales.ZSize(yh, yw);
            var (zSymbols, medians) = s.Inputs(zh, zw, 19);
            var scalar = s.Model.ComputeAccumulators(zSymbols, medians, zh, zw, yh, yw, 1, KernelPath.Scalar);
            var scalarIndexes = Indexes(s, zSymbols, medians, yh, yw, 1, KernelPath.Scalar);
            foreach (var path in paths.Skip(1))
            {
                Assert.Equal(scalar, s.Model.ComputeAccumulators(zSymbols, medians, zh, zw, yh, yw, 2, path));
                Assert.Equal(scalarIndexes, Indexes(s, zSymbols, medians, yh, yw, 2, path));
            }
        }
    }

    /// <summary>
    /// Golden hashes: any change of the blob builder or of the integer arithmetic shows here. CI runs this
    /// test a second time with DOTNET_EnableHWIntrinsic=0 (scalar kernels): the hashes must not move.
    /// </summary>
    [Fact]
    public void GoldenIndexHash()
    {
        var s = Synthetic.Value;
        var (zh, zw) = FixedPointHyperScales.ZSize(YH, YW);
        var (zSymbols, medians) = s.Inputs(zh, zw, 23);
        var indexes = Indexes(s, zSymbols, medians, YH, YW, -1);
        var bytes = new byte[indexes.Length * 4];
        for (int i = 0; i < indexes.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), indexes[i]);
        string blobHash = Convert.ToHexString(SHA256.HashData(s.Blob));
        string indexHash = Convert.ToHexString(SHA256.HashData(bytes));
        log.WriteLine($"kernel {FixedPointKernels.BestPath}; blob {blobHash}; indexes {indexHash}");
        Assert.Equal(GoldenBlob, blobHash);
        Assert.Equal(GoldenIndexes, indexHash);
    }

    private const string GoldenBlob = "72DB9542FB52B44CAA5BFE8ACD1A86C0449DC7BCD84B0D30FCC5985DF409BDC9";
    private const string GoldenIndexes = "86426D3C6D0AF3A216E84670407FC501C48B8E8AF8ED2547BAA0DF1671B0305E";

    // Plausible y symbols for the given tables: mostly small, some large enough to use the escape.
    private static int[] YSymbols(int[] indexes, ulong seed)
    {
        var rng = new SyntheticHyperScales.XorShift(seed);
        var table = GaussianTableBuilder.DefaultScaleTable();
        var symbols = new int[indexes.Length];
        for (int i = 0; i < symbols.Length; i++)
        {
            double u = (rng.Next() >> 11) * (1.0 / (1UL << 53)) - 0.5;
            symbols[i] = (int)Math.Round(table[indexes[i]] * 2 * u * 1.5);
        }
        return symbols;
    }
}
