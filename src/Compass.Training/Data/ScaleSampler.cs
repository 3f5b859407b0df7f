namespace Compass.Training.Data;

/// <summary>
/// Draws the layer sizes of one training batch (docs/method.md#training-objective): layer k gets a scale
/// <c>s_k ~ U(Min_k, Max_k)</c> of the crop and the size <c>floor(H*s_k) x floor(W*s_k)</c>; one set of
/// sizes per batch. Sizes are forced strictly increasing (a draw that would repeat the previous
/// layer's size gets one more pixel), since a layer plan may not repeat a size.
/// </summary>
public sealed class ScaleSampler
{
    private readonly ScaleRange[] _ranges;

    /// <summary>Creates a sampler from one scale range per layer, base layer first.</summary>
    /// <exception cref="ArgumentException">A range is empty, outside (0, 1], or below the previous one.</exception>
    public ScaleSampler(IReadOnlyList<ScaleRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (ranges.Count == 0) throw new ArgumentException("At least one layer is required.", nameof(ranges));
        for (int k = 0; k < ranges.Count; k++)
        {
            var r = ranges[k];
            if (!(r.Min > 0 && r.Min <= r.Max && r.Max <= 1))
                throw new ArgumentException($"Layer {k}: scale range [{r.Min}, {r.Max}] must satisfy 0 < min <= max <= 1.", nameof(ranges));
            if (k > 0 && r.Min < ranges[k - 1].Min)
                throw new ArgumentException($"Layer {k}: ranges must not decrease.", nameof(ranges));
        }
        _ranges = ranges.ToArray();
    }

    /// <summary>One layer, the whole crop (the base-layer stage, or any single-layer codec).</summary>
    public static ScaleSampler SingleLayer { get; } = new([new ScaleRange(1, 1)]);

    /// <summary>
    /// The COMPASS recipe generalised to <paramref name="enhancementLayers"/> ELs: BL = 0.25 of the crop,
    /// EL j ~ U(b_(j-1), b_j) with geometric bounds <c>b_j = 0.25 * 4^(j/n)</c>. For n = 2 this is the
    /// paper's BL 0.25, EL1 ~ U(0.25, 0.5), EL2 ~ U(0.5, 1.0); for n = 1, EL1 ~ U(0.25, 1) (ratios 1x..4x).
    /// </summary>
    public static ScaleSampler Compass(int enhancementLayers = 2)
    {
        if (enhancementLayers < 1) throw new ArgumentOutOfRangeException(nameof(enhancementLayers), "At least one enhancement layer.");
        var ranges = new ScaleRange[enhancementLayers + 1];
        ranges[0] = new ScaleRange(0.25, 0.25);
        for (int j = 1; j <= enhancementLayers; j++)
        {
            double lo = 0.25 * Math.Pow(4, (j - 1) / (double)enhancementLayers);
            double hi = j == enhancementLayers ? 1.0 : 0.25 * Math.Pow(4, j / (double)enhancementLayers);
            ranges[j] = new ScaleRange(lo, hi);
        }
        return new ScaleSampler(ranges);
    }

    /// <summary>Number of layers (base layer included).</summary>
    public int LayerCount => _ranges.Length;

    /// <summary>The scale range of every layer, base layer first.</summary>
    public IReadOnlyList<ScaleRange> Ranges => _ranges;

    /// <summary>The sizes for training step <paramref name="step"/>: a pure function of (seed, step).</summary>
    public IReadOnlyList<LayerSize> Sample(int cropHeight, int cropWidth, long seed, long step)
    {
        var rng = new StepRandom(seed, step, RandomStream.Scales);
        var scales = new double[_ranges.Length];
        for (int k = 0; k < scales.Length; k++)
            scales[k] = _ranges[k].Min == _ranges[k].Max ? _ranges[k].Min : rng.NextUniform(_ranges[k].Min, _ranges[k].Max);
        return ToSizes(cropHeight, cropWidth, scales);
    }

    /// <summary>The fixed sizes used for validation: every layer at the top of its range.</summary>
    public IReadOnlyList<LayerSize> Reference(int height, int width) =>
        ToSizes(height, width, _ranges.Select(r => r.Max).ToArray());

    /// <summary>Sizes <c>floor(n*s)</c>, at least 1 and strictly increasing, never above the crop.</summary>
    internal static IReadOnlyList<LayerSize> ToSizes(int height, int width, IReadOnlyList<double> scales)
    {
        if (height < scales.Count || width < scales.Count)
            throw new ArgumentException($"A {width}x{height} crop is too small for {scales.Count} strictly increasing layers.");
        var sizes = new LayerSize[scales.Count];
        for (int k = 0; k < sizes.Length; k++)
        {
            // The epsilon keeps 0.25 * 128 at 32 even when the product lands at 31.999999.
            int h = Math.Max(1, (int)Math.Floor(height * scales[k] + 1e-9));
            int w = Math.Max(1, (int)Math.Floor(width * scales[k] + 1e-9));
            if (k > 0)
            {
                h = Math.Max(h, sizes[k - 1].Height + 1);
                w = Math.Max(w, sizes[k - 1].Width + 1);
            }
            // Leave room for the layers above (each needs one more pixel) within the crop.
            h = Math.Min(h, height - (sizes.Length - 1 - k));
            w = Math.Min(w, width - (sizes.Length - 1 - k));
            sizes[k] = new LayerSize(Width: w, Height: h);
        }
        return sizes;
    }
}
