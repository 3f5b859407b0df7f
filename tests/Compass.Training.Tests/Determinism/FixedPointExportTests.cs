using Compass.Determinism;
using Compass.EntropyCoding;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Testing;
using Compass.Training.Export.FixedPoint;
using Compass.Training.Import;
using Compass.Training.Modules;
using Compass.Training.Tests.Codec;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Determinism;

/// <summary>
/// The fixed-point scale path against the float h_s of the official fixture codec (N=32, M=48): index
/// agreement, scale precision and the rate cost of the fixed-point indexes.
/// </summary>
[Trait("Category", "Determinism")]
public sealed class FixedPointExportTests(ITestOutputHelper log)
{
    private static MeanScaleHyperprior LoadCodec()
    {
        set_num_threads(1);
        var codec = OfficialCheckpoint.LoadCodec(Fixtures.Path("meanscale/meanscale_state_dict.pt"));
        codec.eval();
        return codec;
    }

    [SkippableFact]
    public void BlobRoundTripsThroughTheLoader()
    {
        using var codec = LoadCodec();
        var blob = FixedPointExporter.Build(codec, GaussianTableBuilder.DefaultScaleTable(), GaussianConditional.ScaleBound);
        var model = FixedPointHyperScales.Load(blob);
        Assert.Equal(32, model.ZChannels);
        Assert.Equal(48, model.YChannels);
        Assert.Equal(64, model.TableCount);
        using var ms = new MemoryStream();
        FixedPointExporter.Write(codec, ms);
        Assert.Equal(blob, ms.ToArray());
        log.WriteLine($"blob {blob.Length} bytes, input fraction bits {model.InputFractionBits}, activation fraction bits {string.Join(", ", model.Layers.Select(l => l.OutFractionBits))}");
    }

    [SkippableTheory]
    [InlineData("a37x53")]
    [InlineData("b64x96")]
    public void IndexesMatchTheForkUpToBoundaryCases(string input)
    {
        using var codec = LoadCodec();
        var model = FixedPointHyperScales.Load(FixedPointExporter.Build(codec, GaussianTableBuilder.DefaultScaleTable(), GaussianConditional.ScaleBound));
        string F(string name) => Fixtures.Path($"meanscale/{input}_{name}.npy");
        var zSym = Npy.Load(F("z_symbols"));
        var yIdx = Npy.Load(F("y_indexes"));
        var scales = Npy.Load(F("scales")).AsFloat();
        int zh = zSym.Shape[2], zw = zSym.Shape[3], yh = yIdx.Shape[2], yw = yIdx.Shape[3];
        var medians = Npy.Load(Fixtures.Path("meanscale/eb_medians.npy")).AsFloat();

        var indexes = new int[yIdx.Length];
        model.ComputeIndexes(zSym.AsInt(), medians, zh, zw, yh, yw, indexes, 1);
        var acc = model.ComputeAccumulators(zSym.AsInt(), medians, zh, zw, yh, yw, 1, FixedPointKernels.BestPath);
        var expected = yIdx.AsInt();
        var (maxRel, differing) = Compare(model, acc, scales, indexes, expected, yh * yw);
        log.WriteLine($"{input}: {differing} of {indexes.Length} indexes differ from the float path; max relative scale error {maxRel:E2}");
        Assert.True(maxRel < 0.05, $"relative scale error {maxRel}");
        Assert.True(differing <= indexes.Length / 50, $"{differing} indexes differ");
        Assert.All(indexes.Zip(expected), p => Assert.InRange(p.First - p.Second, -1, 1));
    }

    /// <summary>
    /// Measurement (logged, loosely asserted): a Kodak image through the fixture codec, ideal y bits under the
    /// Gaussian tables with float-path vs fixed-point indexes.
    /// </summary>
    [SkippableFact]
    public void RateCostOnKodakIsSmall()
    {
        using var codec = LoadCodec();
        var model = FixedPointHyperScales.Load(FixedPointExporter.Build(codec, GaussianTableBuilder.DefaultScaleTable(), GaussianConditional.ScaleBound));
        var tables = GaussianTableBuilder.Build(GaussianTableBuilder.DefaultScaleTable());
        var indexer = new ScaleTableIndexer(GaussianTableBuilder.DefaultScaleTable());
        double floatBits = 0, fixedBits = 0;
        long differing = 0, total = 0;
        double worstRel = 0;
        foreach (var file in new[] { "kodim01.png", "kodim07.png", "kodim23.png" })
        {
            var image = PlanarImage.FromPixels(ImageSharpLoader.LoadPixels(Path.Combine(SharedData.Kodak, file)));
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var x = tensor(image.Data, [1, 3, image.Height, image.Width]);
            var y = codec.Analysis(x);
            var z = codec.HyperAnalysis(y);
            var medians = codec.EntropyBottleneck.Medians();
            var zSym = z.sub(medians.view(1, -1, 1, 1)).round();
            var zHat = zSym.add(medians.view(1, -1, 1, 1));
            int yh = (int)y.shape[2], yw = (int)y.shape[3], zh = (int)z.shape[2], zw = (int)z.shape[3];
            var (scales, means) = codec.HyperSynthesis(zHat, yh, yw);
            var ySym = y.sub(means).round().to_type(ScalarType.Int32).contiguous().data<int>().ToArray();
            var sc = scales.contiguous().data<float>().ToArray();
            var floatIdx = new int[sc.Length];
            indexer.GetIndexes(sc, floatIdx);
            var fixedIdx = new int[sc.Length];
            var zs = zSym.to_type(ScalarType.Int32).contiguous().data<int>().ToArray();
            var med = medians.contiguous().data<float>().ToArray();
            model.ComputeIndexes(zs, med, zh, zw, yh, yw, fixedIdx, -1);
            var acc = model.ComputeAccumulators(zs, med, zh, zw, yh, yw, -1, FixedPointKernels.BestPath);
            var (rel, diff) = Compare(model, acc, sc, fixedIdx, floatIdx, yh * yw);
            worstRel = Math.Max(worstRel, rel);
            differing += diff;
            total += sc.Length;
            double fb = IdealBits.Sum(tables, ySym, floatIdx), xb = IdealBits.Sum(tables, ySym, fixedIdx);
            floatBits += fb;
            fixedBits += xb;
            log.WriteLine($"{file}: y {yh}x{yw}, float {fb:F0} bits, fixed {xb:F0} bits ({100 * (xb / fb - 1):+0.000;-0.000}%), {diff} of {sc.Length} indexes differ, max rel scale err {rel:E2}");
        }
        double cost = fixedBits / floatBits - 1;
        log.WriteLine($"total: rate cost {100 * cost:+0.0000;-0.0000}%, {differing} of {total} indexes differ ({100.0 * differing / total:F3}%), max rel scale err {worstRel:E2}");
        Assert.True(cost < 0.005, $"rate cost {cost:P3}");
    }

    // Max relative error of the fixed scales (above the lower bound) and count of differing indexes.
    internal static (double MaxRel, int Differing) Compare(FixedPointHyperScales model, int[] acc, float[] scales, int[] indexes, int[] expected, int plane)
    {
        var accBits = model.Layers[^1].AccFractionBits;
        double maxRel = 0;
        int differing = 0;
        for (int i = 0; i < acc.Length; i++)
        {
            double s = Math.ScaleB(acc[i], -accBits[i / plane]);
            if (scales[i] > model.LowerBound) maxRel = Math.Max(maxRel, Math.Abs(s - scales[i]) / scales[i]);
            if (indexes[i] != expected[i]) differing++;
        }
        return (maxRel, differing);
    }
}

/// <summary>Ideal code length of y symbols under quantised Gaussian tables: sum of -log2 of the table probabilities.</summary>
internal static class IdealBits
{
    public static double Sum(QuantizedCdfTable tables, int[] symbols, int[] indexes)
    {
        double bits = 0;
        for (int i = 0; i < symbols.Length; i++)
        {
            int t = indexes[i];
            var cdf = tables.GetCdf(t);
            int v = symbols[i] - tables.GetOffset(t);
            int escape = tables.GetCdfLength(t) - 2;
            if (v >= 0 && v < escape)
            {
                bits += QuantizedCdfTable.Precision - Math.Log2(cdf[v + 1] - cdf[v]);
            }
            else
            {
                // Escape symbol plus a rough bypass cost (the same for both paths being compared).
                bits += QuantizedCdfTable.Precision - Math.Log2(cdf[escape + 1] - cdf[escape]) + 16;
            }
        }
        return bits;
    }
}

/// <summary>
/// Issue "Trust" item 1(3): how far the float parts (means, synthesis) can move the reconstruction when
/// another machine computes them with relative errors of 1e-5 (the symbols are identical by construction).
/// </summary>
[Trait("Category", "Determinism")]
public sealed class ReconstructionDriftTests(ITestOutputHelper log)
{
    [SkippableFact]
    public void RelativeNoiseOnMeansAndSynthesisMovesPixelsFarLessThanOneLevel()
    {
        set_num_threads(1);
        using var codec = OfficialCheckpoint.LoadCodec(Fixtures.Path("meanscale/meanscale_state_dict.pt"));
        codec.eval();
        var image = PlanarImage.FromPixels(ImageSharpLoader.LoadPixels(Path.Combine(SharedData.Kodak, "kodim23.png")));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(image.Data, [1, 3, image.Height, image.Width]);
        var y = codec.Analysis(x);
        var z = codec.HyperAnalysis(y);
        var medians = codec.EntropyBottleneck.Medians().view(1, -1, 1, 1);
        var zHat = z.sub(medians).round().add(medians);
        var (_, means) = codec.HyperSynthesis(zHat, (int)y.shape[2], (int)y.shape[3]);
        var symbols = y.sub(means).round();
        var reference = codec.Synthesis(symbols.add(means), image.Height, image.Width);

        // Another provider: every mean off by a relative +-1e-5 (random signs), every g_s weight likewise.
        manual_seed(7);
        Tensor Noise(Tensor t) => t.mul(randint(0, 2, t.shape, dtype: ScalarType.Float32).mul(2).sub(1).mul(1e-5).add(1));
        var meansB = Noise(means);
        var fromMeans = codec.Synthesis(symbols.add(meansB), image.Height, image.Width);
        double dMeans = reference.sub(fromMeans).abs().max().item<float>() * 255;

        var originals = codec.named_parameters().Where(p => p.name.StartsWith("g_s.", StringComparison.Ordinal)).Select(p => (p.parameter, p.parameter.clone())).ToList();
        foreach (var (p, _) in originals) p.mul_(randint(0, 2, p.shape, dtype: ScalarType.Float32).mul(2).sub(1).mul(1e-5).add(1));
        var fromBoth = codec.Synthesis(symbols.add(meansB), image.Height, image.Width);
        foreach (var (p, copy) in originals) p.copy_(copy);
        double dBoth = reference.sub(fromBoth).abs().max().item<float>() * 255;

        // 8-bit output: how many pixels change their rounded value.
        long flipped = reference.clamp(0, 1).mul(255).round().ne(fromBoth.clamp(0, 1).mul(255).round()).sum().item<long>();
        log.WriteLine($"max pixel change (in 1/255 units): means noise {dMeans:E2}, means + g_s weights noise {dBoth:E2}; 8-bit pixels that change: {flipped} of {reference.numel()}");
        Assert.True(dBoth < 0.25, $"drift {dBoth}/255");
    }
}
