namespace Compass.Pipeline;

/// <summary>
/// An upper estimate of the memory (peak resident set, bytes) that one encode or decode of a plan needs, computed
/// from the sizes alone before any pixel is touched, so that a call over its limit fails at once instead of after
/// minutes of work or by the operating system's out-of-memory killer.
/// </summary>
/// <remarks>
/// <para>The estimate is the process baseline plus, for the layer where it is largest: the full-size float images
/// that layer holds (12 bytes per pixel each), its latents and entropy-coding arrays, and the largest single
/// network run, which tiling caps (<see cref="TilingPolicy"/>) so it stops growing once a layer is larger than a
/// tile. The terms follow the pipeline's buffers; <see cref="RunBytesPerChannelPixel"/>, <see cref="LiffBytesPerSourcePixel"/>
/// and <see cref="BaselineBytes"/> are measured (docs/performance.md, "Memory"), and <see cref="Slack"/> covers what the
/// garbage collector and the native allocator hold beyond the live data.</para>
/// </remarks>
internal static class WorkingMemory
{
    /// <summary>A process with the runtime, ONNX Runtime and one quality's sessions loaded, before any image.</summary>
    public const long BaselineBytes = 320L << 20;

    /// <summary>Live bytes of a network run per (hidden channel x input or output pixel) of the run, measured.</summary>
    public const double RunBytesPerChannelPixel = 6.0;

    /// <summary>LIFF's per-source-pixel features (259 floats at hidden width 64) and their working copies.</summary>
    public const double LiffBytesPerSourcePixel = 2400.0;

    /// <summary>Factor on the per-call part for garbage not yet collected and native heap not yet returned.</summary>
    public const double Slack = 1.4;

    private const int FloatImageBytesPerPixel = 12; // 3 float32 planes
    private const int ByteImageBytesPerPixel = 4;   // an 8-bit image (Rgb24, or Rgba32 while loading)

    /// <summary>The estimate for encoding <paramref name="plan"/> from a <paramref name="inputWidth"/> x <paramref name="inputHeight"/> image.</summary>
    /// <param name="plan">The layers.</param>
    /// <param name="inputWidth">Width of the input image.</param>
    /// <param name="inputHeight">Height of the input image.</param>
    /// <param name="hiddenChannels">The codec's hidden width N (its z channels).</param>
    /// <param name="tiling">The tiling in force.</param>
    /// <param name="keepReconstructions">Whether every layer's reconstruction is kept for the caller.</param>
    public static long ForEncode(LayerPlan plan, int inputWidth, int inputHeight, int hiddenChannels, TilingPolicy tiling, bool keepReconstructions = false)
    {
        long input = (long)inputWidth * inputHeight;
        // The input (and its 8-bit copy) and every layer's reference image live for the whole call.
        double images = ByteImageBytesPerPixel * (2.0 * input + plan.TotalPixels);
        double worst = 0, kept = 0;
        for (int k = 0; k < plan.Count; k++)
        {
            long p = plan[k].Pixels;
            long previous = k > 0 ? plan[k - 1].Pixels : 0;
            double run = Math.Max(AnalysisRun(p, hiddenChannels, tiling), SynthesisRun(p, hiddenChannels, tiling));
            if (k > 0) run = Math.Max(run, LiffRun(previous, tiling));
            // Target (then residual in place), prediction (then reconstruction), the previous reconstruction, the latents.
            double layer = (FloatImageBytesPerPixel * ((k > 0 ? 2.0 : 1.0) * p + previous)) + Latents(p, hiddenChannels) + run;
            worst = Math.Max(worst, kept + layer);
            if (keepReconstructions) kept += FloatImageBytesPerPixel * (double)p;
        }
        return BaselineBytes + (long)(Slack * (images + worst));
    }

    /// <summary>The estimate for decoding the first <paramref name="layerCount"/> layers of <paramref name="plan"/>.</summary>
    /// <param name="plan">The stream's layers.</param>
    /// <param name="layerCount">How many layers are decoded.</param>
    /// <param name="hiddenChannels">The codec's hidden width N (its z channels).</param>
    /// <param name="tiling">The tiling in force.</param>
    /// <param name="keepLayers">Whether every decoded layer stays in memory (a whole-stream decode returns them all).</param>
    public static long ForDecode(LayerPlan plan, int layerCount, int hiddenChannels, TilingPolicy tiling, bool keepLayers)
    {
        double worst = 0, kept = 0;
        for (int k = 0; k < Math.Min(layerCount, plan.Count); k++)
        {
            long p = plan[k].Pixels;
            long previous = k > 0 ? plan[k - 1].Pixels : 0;
            double run = SynthesisRun(p, hiddenChannels, tiling);
            if (k > 0) run = Math.Max(run, LiffRun(previous, tiling));
            // The new layer (prediction, residual added in place), the previous one, the latents, and an 8-bit copy
            // for the caller's output image.
            double layer = (FloatImageBytesPerPixel * ((double)p + (keepLayers ? 0 : previous))) + Latents(p, hiddenChannels) + run
                + (ByteImageBytesPerPixel * (double)p);
            worst = Math.Max(worst, kept + layer);
            if (keepLayers) kept += FloatImageBytesPerPixel * (double)p;
        }
        return BaselineBytes + (long)(Slack * worst);
    }

    /// <summary>The limit that applies when the caller sets none: the memory available to this process.</summary>
    public static long DefaultLimit => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Throws <see cref="CompassFormatException"/> when <paramref name="estimate"/> is over <paramref name="limit"/> (null: <see cref="DefaultLimit"/>).</summary>
    /// <param name="estimate">The estimate, bytes.</param>
    /// <param name="limit">The caller's limit, bytes.</param>
    /// <param name="operation">What needs the memory, e.g. "Encoding a 6000x4000 image into 3 layers".</param>
    /// <param name="option">Where the limit is set, e.g. "EncodeOptions.MaxMemoryBytes".</param>
    public static void EnsureWithin(long estimate, long? limit, string operation, string option)
    {
        if (limit is < 1)
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"{option} must be at least 1 byte.");
        long allowed = limit ?? DefaultLimit;
        if (estimate <= allowed) return;
        string source = limit is null ? "the memory available to this process" : $"the limit of {Format(allowed)} ({option})";
        throw new CompassFormatException(CompassFormatErrorKind.LimitExceeded,
            $"{operation} needs about {Format(estimate)} of memory, more than {source}. Use fewer or smaller layers, a smaller image, or a higher {option}.");
    }

    /// <summary>Bytes as "1.23 GB" / "456 MB" (powers of 1024).</summary>
    public static string Format(long bytes) => bytes >= (1L << 30)
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.00} GB")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0} MB");

    // y, scales, means and y_hat as floats plus table indexes and symbols as ints: 24 bytes per y element,
    // M = 1.5 N channels (both presets) at 1/256 of the pixels.
    private static double Latents(long pixels, int hiddenChannels) => 24.0 * 1.5 * hiddenChannels * pixels / 256.0;

    private static double AnalysisRun(long pixels, int hiddenChannels, TilingPolicy tiling)
    {
        long side = 64L * (tiling.AnalysisTile + (2 * tiling.AnalysisHalo));
        return RunBytesPerChannelPixel * hiddenChannels * Math.Min(pixels, side * side);
    }

    private static double SynthesisRun(long pixels, int hiddenChannels, TilingPolicy tiling)
    {
        long side = 16L * (tiling.SynthesisTile + (2 * tiling.SynthesisHalo));
        return RunBytesPerChannelPixel * hiddenChannels * Math.Min(pixels, side * side);
    }

    private static double LiffRun(long sourcePixels, TilingPolicy tiling)
    {
        // A LIFF tile's source window: the tile core plus the model's radius (under 40 pixels) on each side.
        long side = tiling.LiffTile + 80L;
        return LiffBytesPerSourcePixel * Math.Min(sourcePixels, side * side);
    }
}
