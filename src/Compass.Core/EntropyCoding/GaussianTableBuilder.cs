namespace Compass.EntropyCoding;

/// <summary>
/// Builds the entropy tables of a Gaussian conditional (one table per scale of a scale table) the
/// way CompressAI's <c>GaussianConditional.update()</c> does. The result is identical to the
/// <c>_quantized_cdf</c>, <c>_cdf_length</c> and <c>_offset</c> buffers of its checkpoints.
/// </summary>
public static class GaussianTableBuilder
{
    /// <summary>CompressAI's default tail mass of the Gaussian tables.</summary>
    public const double DefaultTailMass = 1e-9;

    /// <summary>Smallest scale of CompressAI's default scale table.</summary>
    public const double DefaultMinScale = 0.11;

    /// <summary>Largest scale of CompressAI's default scale table.</summary>
    public const double DefaultMaxScale = 256;

    /// <summary>Number of scales of CompressAI's default scale table.</summary>
    public const int DefaultLevels = 64;

    /// <summary>
    /// CompressAI's default scale table in float32: <c>exp(linspace(log 0.11, log 256, 64))</c>,
    /// bit for bit as PyTorch's vectorised CPU kernels compute it.
    /// </summary>
    public static float[] DefaultScaleTable()
    {
        // PyTorch's float32 linspace: blocks of 8 lanes (AVX2), each lane is block base + lane * step; blocks in
        // the first half start at start + step * i, blocks in the second half count back from end.
        const int lanes = 8;
        float start = (float)Math.Log(DefaultMinScale);
        float end = (float)Math.Log(DefaultMaxScale);
        float step = (end - start) / (DefaultLevels - 1);
        var table = new float[DefaultLevels];
        for (int block = 0; block < DefaultLevels; block += lanes)
        {
            float blockBase = block < DefaultLevels / 2 ? start + step * block : end - step * (DefaultLevels - block - 1);
            for (int lane = 0; lane < lanes && block + lane < DefaultLevels; lane++)
                table[block + lane] = VectorizedExp(blockBase + step * lane);
        }
        return table;
    }

    // exp as PyTorch's AVX2 kernel computes it (SLEEF's 1-ulp expf): Cody-Waite reduction by ln 2 in two parts,
    // a degree-6 polynomial evaluated with fused multiply-adds, then scaling by 2^q. Not correctly rounded,
    // which is why MathF.Exp gives a different last bit for 8 of the 64 default scales.
    private static float VectorizedExp(float d)
    {
        const float log2E = 1.44269504088896340736f;
        const float ln2Upper = 0.693145751953125f;
        const float ln2Lower = 1.428606765330187045e-06f;
        int q = (int)MathF.Round(d * log2E, MidpointRounding.ToEven);
        float s = MathF.FusedMultiplyAdd(q, -ln2Upper, d);
        s = MathF.FusedMultiplyAdd(q, -ln2Lower, s);
        float u = 0.000198527617612853646278381f;
        u = MathF.FusedMultiplyAdd(u, s, 0.00139304355252534151077271f);
        u = MathF.FusedMultiplyAdd(u, s, 0.00833336077630519866943359f);
        u = MathF.FusedMultiplyAdd(u, s, 0.0416664853692054748535156f);
        u = MathF.FusedMultiplyAdd(u, s, 0.166666671633720397949219f);
        u = MathF.FusedMultiplyAdd(u, s, 0.5f);
        u = 1.0f + MathF.FusedMultiplyAdd(s * s, u, s);
        return MathF.ScaleB(u, q);
    }

    /// <summary>Builds one table per scale.</summary>
    /// <remarks>
    /// For scale <c>s</c>: <c>center = ceil(s * -Phi^-1(tailMass / 2))</c>. The table covers the
    /// symbols <c>-center .. center</c> with <c>p(k) = Phi((0.5 - |k|) / s) - Phi((-0.5 - |k|) / s)</c>,
    /// and the escape symbol gets <c>2 Phi((-0.5 - center) / s)</c>. The pmf is computed in float32
    /// with <c>Phi(v) = 0.5 erfc(-v / sqrt 2)</c>, as PyTorch does, and then quantised with
    /// <see cref="PmfQuantizer"/>.
    /// </remarks>
    /// <param name="scaleTable">The scales, ascending and positive (usually <see cref="DefaultScaleTable"/>).</param>
    /// <param name="tailMass">Probability mass left outside the tables' ranges.</param>
    /// <exception cref="ArgumentException">A scale is not positive and finite, or the tail mass is not in (0, 1).</exception>
    public static QuantizedCdfTable Build(ReadOnlySpan<float> scaleTable, double tailMass = DefaultTailMass)
    {
        if (scaleTable.IsEmpty) throw new ArgumentException("The scale table is empty.", nameof(scaleTable));
        if (!(tailMass > 0 && tailMass < 1)) throw new ArgumentOutOfRangeException(nameof(tailMass), tailMass, "Tail mass must lie in (0, 1).");

        // PyTorch multiplies the float32 scales by this double scalar in float32.
        float multiplier = (float)-NormalDistribution.Quantile(tailMass / 2);
        var centers = new int[scaleTable.Length];
        for (int t = 0; t < scaleTable.Length; t++)
        {
            float scale = scaleTable[t];
            if (!(scale > 0 && float.IsFinite(scale)))
                throw new ArgumentException($"Scale {t} ({scale}) is not positive and finite.", nameof(scaleTable));
            float center = MathF.Ceiling(scale * multiplier);
            if (center > (QuantizedCdfTable.Total - 3) / 2)
                throw new ArgumentException($"Scale {t} ({scale}) needs more than {QuantizedCdfTable.Total} symbols.", nameof(scaleTable));
            centers[t] = (int)center;
        }

        var cdfs = new int[scaleTable.Length][];
        var offsets = new int[scaleTable.Length];
        for (int t = 0; t < scaleTable.Length; t++)
        {
            int center = centers[t];
            float scale = scaleTable[t];
            var pmf = new float[2 * center + 2];
            float outerLower = 0;
            for (int k = 0; k <= 2 * center; k++)
            {
                float distance = Math.Abs(k - center);
                float upper = StandardizedCumulative((0.5f - distance) / scale);
                float lower = StandardizedCumulative((-0.5f - distance) / scale);
                pmf[k] = upper - lower;
                if (k == 0) outerLower = lower;
            }
            pmf[^1] = 2 * outerLower;
            cdfs[t] = PmfQuantizer.ToQuantizedCdf(pmf);
            offsets[t] = -center;
        }
        return QuantizedCdfTable.Create(cdfs, offsets);
    }

    // CompressAI's _standardized_cumulative in float32: 0.5 * erfc(-(2^-0.5) * v).
    private static float StandardizedCumulative(float v)
    {
        const float minusSqrtHalf = -0.70710678118654757f;
        float argument = minusSqrtHalf * v;
        return 0.5f * (float)NormalDistribution.Erfc(argument);
    }
}
