using Compass.Determinism;
using Compass.EntropyCoding;
using Compass.Training.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Export.FixedPoint;

/// <summary>
/// Writes the scale branch of a codec's h_s as the fixed-point blob <c>hs_scales.fxp</c> that
/// <see cref="FixedPointHyperScales"/> runs (format and quantisation: <c>docs/determinism.md</c>).
/// </summary>
/// <remarks>
/// The activation scales come from a sound interval bound for z inside the entropy bottleneck's learned
/// quantiles; the weight scales from the int32 accumulator bound that the loader re-checks. The output is a
/// pure function of the weights, so re-exporting a codec gives the same bytes.
/// </remarks>
public static class FixedPointExporter
{
    /// <summary>Writes the blob for <paramref name="codec"/> with CompressAI's default scale table and 0.11 bound.</summary>
    /// <param name="codec">A trained codec (its h_s and entropy-bottleneck quantiles are read).</param>
    /// <param name="output">Receives the blob.</param>
    public static void Write(MeanScaleHyperprior codec, Stream output) =>
        Write(codec, output, GaussianTableBuilder.DefaultScaleTable(), GaussianConditional.ScaleBound);

    /// <summary>Writes the blob for <paramref name="codec"/> with an explicit scale table (the one its Gaussian tables were built from).</summary>
    /// <param name="codec">A trained codec.</param>
    /// <param name="output">Receives the blob.</param>
    /// <param name="scaleTable">Ascending positive scales, one per Gaussian table.</param>
    /// <param name="lowerBound">Scales below this are raised to it before indexing.</param>
    /// <exception cref="InvalidOperationException">The weights are too large to quantise.</exception>
    public static void Write(MeanScaleHyperprior codec, Stream output, ReadOnlySpan<float> scaleTable, float lowerBound)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(output);
        output.Write(Build(codec, scaleTable, lowerBound));
    }

    /// <summary>The blob as bytes.</summary>
    internal static byte[] Build(MeanScaleHyperprior codec, ReadOnlySpan<float> scaleTable, float lowerBound) =>
        FixedPointQuantizer.Build(Weights(codec), scaleTable, lowerBound);

    /// <summary>The float weights of the scale branch and the z ranges, in the quantiser's layout.</summary>
    internal static HyperScaleWeights Weights(MeanScaleHyperprior codec)
    {
        int n = codec.N, m = codec.M, mid = m * 3 / 2;
        var p = codec.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var q = Floats(p["entropy_bottleneck.quantiles"]); // [N, 1, 3]: lower, median, upper
        var lower = new double[n];
        var upper = new double[n];
        for (int c = 0; c < n; c++)
        {
            lower[c] = Math.Min(q[3 * c], q[3 * c + 1]);
            upper[c] = Math.Max(q[3 * c + 2], q[3 * c + 1]);
        }
        return new HyperScaleWeights(
            n, m,
            TransposedToOutIn(Floats(p["h_s.0.weight"]), n, m, 25), Floats(p["h_s.0.bias"]),
            TransposedToOutIn(Floats(p["h_s.2.weight"]), m, mid, 25), Floats(p["h_s.2.bias"]),
            Floats(p["h_s.4.weight"])[..(m * mid * 9)], Floats(p["h_s.4.bias"])[..m], // the scale half of h_s.4
            lower, upper);
    }

    private static float[] Floats(Tensor t)
    {
        using var f = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return f.data<float>().ToArray();
    }

    // ConvTranspose2d stores [in][out][k]; the quantiser wants [out][in][k].
    private static float[] TransposedToOutIn(float[] w, int inCh, int outCh, int kk)
    {
        var r = new float[w.Length];
        for (int c = 0; c < inCh; c++)
        {
            for (int o = 0; o < outCh; o++)
                Array.Copy(w, (c * outCh + o) * kk, r, (o * inCh + c) * kk, kk);
        }
        return r;
    }
}
