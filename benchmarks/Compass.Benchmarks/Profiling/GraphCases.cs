using Compass.Bundles;
using Compass.Pipeline;

namespace Compass.Benchmarks.Profiling;

/// <summary>
/// One run of one exported graph of a bundle at one layer size, with deterministic inputs of the right
/// shapes (random image in [0,1], integer-valued latents): what the per-graph benchmarks and profiles run.
/// </summary>
internal sealed record GraphCase(string Name, string File, (string Name, float[]? Floats, long[]? Longs, long[] Shape)[] Inputs)
{
    public override string ToString() => Name;

    /// <summary>Every graph at the sizes a 3-layer Kodak encode and decode run it (192x128, 384x256, 768x512).</summary>
    public static IReadOnlyList<GraphCase> Kodak(BundleConfig config, int predictChunk)
    {
        var cases = new List<GraphCase>
        {
            Analysis(CodecRole.Base, config.Base.N, 192, 128),
            HyperSynthesis(CodecRole.Base, config.Base.N, 192, 128),
            Synthesis(CodecRole.Base, config.Base.M, 192, 128),
        };
        foreach (var (w, h) in new[] { (384, 256), (768, 512) })
        {
            cases.Add(Analysis(CodecRole.Residual, config.Residual.N, w, h));
            cases.Add(HyperSynthesis(CodecRole.Residual, config.Residual.N, w, h));
            cases.Add(Synthesis(CodecRole.Residual, config.Residual.M, w, h));
            cases.Add(LiffFeatures(w / 2, h / 2));
            cases.Add(LiffPredict(config.Liff.HiddenWidth, w / 2, h / 2, w, h, predictChunk));
        }
        return cases;
    }

    public static GraphCase Analysis(CodecRole role, int n, int w, int h) =>
        new($"{Prefix(role)}analysis {w}x{h}", BundleFiles.Prefix(role) + BundleFiles.Analysis, [("x", Image(w, h), null, [1, 3, h, w])]);

    public static GraphCase HyperSynthesis(CodecRole role, int n, int w, int h)
    {
        int zh = LatentGeometry.ZExtent(h), zw = LatentGeometry.ZExtent(w), yh = LatentGeometry.YExtent(h), yw = LatentGeometry.YExtent(w);
        return new($"{Prefix(role)}hyper_synthesis {w}x{h}", BundleFiles.Prefix(role) + BundleFiles.HyperSynthesis,
            [("z_hat", Latent(n * zh * zw, 2), null, [1, n, zh, zw]), ("y_size", null, [yh, yw], [2])]);
    }

    public static GraphCase Synthesis(CodecRole role, int m, int w, int h)
    {
        int yh = LatentGeometry.YExtent(h), yw = LatentGeometry.YExtent(w);
        return new($"{Prefix(role)}synthesis {w}x{h}", BundleFiles.Prefix(role) + BundleFiles.Synthesis,
            [("y_hat", Latent(m * yh * yw, 4), null, [1, m, yh, yw]), ("image_size", null, [h, w], [2])]);
    }

    public static GraphCase LiffFeatures(int w, int h) =>
        new($"liff/features {w}x{h}", BundleFiles.LiffFeatures, [("x", Image(w, h), null, [1, 3, h, w])]);

    /// <summary>One <c>liff/predict</c> run over the first <paramref name="chunk"/> target pixels of a w x h -> W x H prediction.</summary>
    public static GraphCase LiffPredict(int hidden, int w, int h, int targetW, int targetH, int chunk)
    {
        var grid = LiffGrid.Create(h, w, targetH, targetW);
        int n = Math.Min(chunk, targetW * targetH);
        var index = new long[n];
        var coord = new float[2 * n];
        for (int k = 0; k < n; k++)
        {
            int i = k / targetW, j = k % targetW;
            index[k] = ((long)grid.RowIndex[i] * w) + grid.ColumnIndex[j];
            coord[2 * k] = grid.RowOffset[i];
            coord[(2 * k) + 1] = grid.ColumnOffset[j];
        }
        long p = (long)w * h;
        return new($"liff/predict {w}x{h}->{targetW}x{targetH} ({n} px)", BundleFiles.LiffPredict,
        [
            ("first", Gaussian((int)p * hidden, 1), null, [p, hidden]), ("filters", Gaussian((int)p * 3 * hidden, 0.1f), null, [p, 3 * hidden]),
            ("bias", Gaussian((int)p * 3, 0.1f), null, [p, 3]), ("index", null, index, [n]), ("coord", coord, null, [n, 2]),
            ("cell", [grid.ScaleY, grid.ScaleX], null, [2]),
        ]);
    }

    private static string Prefix(CodecRole role) => BundleFiles.Prefix(role);

    private static float[] Image(int w, int h)
    {
        var random = new Random(w * 31 + h);
        var data = new float[3 * w * h];
        for (int i = 0; i < data.Length; i++) data[i] = random.Next(256) / 255f;
        return data;
    }

    private static float[] Latent(int count, int range)
    {
        var random = new Random(count);
        var data = new float[count];
        for (int i = 0; i < data.Length; i++) data[i] = random.Next(-range, range + 1);
        return data;
    }

    private static float[] Gaussian(int count, float scale)
    {
        var random = new Random(count + 7);
        var data = new float[count];
        for (int i = 0; i < data.Length; i++) data[i] = scale * (float)(random.NextDouble() * 2 - 1);
        return data;
    }
}
