using System.Diagnostics;
using System.Globalization;
using Compass.Bitstream;
using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>One layer as coded: its rate, payload and (when kept or needed by the next layer) reconstruction.</summary>
internal sealed record CodedLayer(LayerRate Rate, LayerPayload Payload, PlanarImage? Reconstruction, TimeSpan Elapsed);

/// <summary>
/// What the caller asked of the rate (<see cref="EncodeOptions"/>), checked against the model and the plan: fixed
/// qualities per layer, or byte budgets (accumulated bytes per layer; null where a layer is unconstrained).
/// </summary>
internal sealed class RateRequest
{
    private RateRequest(IReadOnlyList<Quality>? qualities, IReadOnlyList<long?>? budgets, bool perLayer)
    {
        Qualities = qualities;
        Budgets = budgets;
        SearchPerLayer = perLayer;
    }

    /// <summary>The quality of each layer, when fixed.</summary>
    public IReadOnlyList<Quality>? Qualities { get; }

    /// <summary>The most accumulated bytes of each layer (null: no constraint), under rate control.</summary>
    public IReadOnlyList<long?>? Budgets { get; }

    /// <summary>Search each layer's quality in turn (a variable-rate model with per-layer budgets).</summary>
    public bool SearchPerLayer { get; }

    /// <summary>The quality whose networks run (a single-rate set's fixed level; any level of a variable-rate model).</summary>
    public Quality NominalQuality(CompassModel model) => Qualities?[0] ?? new Quality(model.DefaultQuality);

    /// <summary>Checks the options; every problem is an <see cref="ArgumentException"/> naming the option.</summary>
    public static RateRequest Resolve(CompassModel model, EncodeOptions options, LayerPlan plan)
    {
        int set = (options.Quality is null ? 0 : 1) + (options.LayerQualities is null ? 0 : 1) + (options.TargetBytes is null ? 0 : 1)
            + (options.TargetBitsPerPixel is null ? 0 : 1) + (options.LayerByteBudgets is null ? 0 : 1);
        if (set > 1)
            throw new ArgumentException("Set at most one of EncodeOptions.Quality, LayerQualities, TargetBytes, TargetBitsPerPixel and LayerByteBudgets.", nameof(options));

        if (options.LayerByteBudgets is { } layerBudgets)
        {
            if (layerBudgets.Count != plan.Count)
                throw new ArgumentException($"EncodeOptions.LayerByteBudgets has {layerBudgets.Count} budgets for a plan of {plan.Count} layers; give one per layer.", nameof(options));
            for (int k = 0; k < layerBudgets.Count; k++)
            {
                if (layerBudgets[k] <= 0 || (k > 0 && layerBudgets[k] < layerBudgets[k - 1]))
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"EncodeOptions.LayerByteBudgets: budget {k} ({layerBudgets[k]}) must be positive and at least the one before (each counts the bytes up to its layer)."), nameof(options));
            }
            return new RateRequest(null, [.. layerBudgets.Select(b => (long?)b)], model.Rate is not null);
        }

        long? total = options.TargetBytes;
        if (options.TargetBitsPerPixel is { } bpp)
        {
            if (!double.IsFinite(bpp) || bpp <= 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"EncodeOptions.TargetBitsPerPixel ({bpp}) must be a positive number."), nameof(options));
            total = (long)Math.Floor(bpp * plan.Final.Pixels / 8);
        }
        if (total is { } bytes)
        {
            if (bytes <= 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The byte target ({bytes}) must be positive."), nameof(options));
            var budgets = new long?[plan.Count];
            budgets[^1] = bytes;
            return new RateRequest(null, budgets, perLayer: false);
        }

        IReadOnlyList<Quality> qualities = options.LayerQualities is { } perLayer
            ? perLayer
            : Enumerable.Repeat(options.Quality ?? new Quality(model.DefaultQuality), plan.Count).ToArray();
        if (qualities.Count != plan.Count)
            throw new ArgumentException($"EncodeOptions.LayerQualities has {qualities.Count} qualities for a plan of {plan.Count} layers; give one per layer.", nameof(options));
        foreach (var q in qualities)
        {
            if (!model.IsAvailable(q))
                throw new ArgumentException($"Quality {q} is not provided by this model (available: {model.DescribeQualities()}).", nameof(options));
        }
        if (model.Rate is null && qualities.Any(q => q != qualities[0]))
            throw new ArgumentException($"This single-rate model set codes every layer of a stream at one quality (one set of networks per level); got {string.Join(", ", qualities)}. A variable-rate model takes a quality per layer.", nameof(options));
        return new RateRequest([.. qualities], null, perLayer: false);
    }
}

/// <summary>
/// Encodes the layers of one image: at fixed qualities, or searching the quality under byte budgets with real entropy
/// coding. The search reuses every step-independent result: a variable-rate model's base-layer analysis serves every
/// probe, and under per-layer budgets each probe of layer k only re-quantises and re-codes its y.
/// </summary>
internal sealed class LayerEncoding
{
    /// <summary>A search stops once a fitting probe uses this share of its budget (the target is "within 3% under").</summary>
    private const double CloseEnough = 0.98;

    /// <summary>Where the interpolation aims, a little under the budget so that its probe usually fits.</summary>
    private const double Aim = 0.99;

    private readonly CompassModel _model;
    private readonly QuantizationSteps _steps;
    private readonly LayerPlan _plan;
    private readonly PixelBuffer?[] _references;
    private readonly bool _keepReconstructions;
    private readonly CancellationToken _cancellationToken;
    private readonly int _headerSize;
    private readonly IProgress<TileProgress>? _tileProgress;
    private AnalyzedLayer? _baseAnalysis;

    public LayerEncoding(CompassModel model, LayerPlan plan, IReadOnlyList<PixelBuffer> references, bool keepReconstructions, CancellationToken cancellationToken,
        IProgress<TileProgress>? tileProgress = null)
    {
        _tileProgress = tileProgress;
        _model = model;
        _steps = QuantizationSteps.For(model);
        _plan = plan;
        _references = [.. references];
        _keepReconstructions = keepReconstructions;
        _cancellationToken = cancellationToken;
        _headerSize = BitstreamFormat.HeaderSize(plan.Count);
    }

    /// <summary>Number of probes (trial encodes of a layer or of the whole stream) the last search ran.</summary>
    public int Probes { get; private set; }

    /// <summary>The rate of layer <paramref name="k"/> at <paramref name="quality"/>.</summary>
    public LayerRate RateOf(int k, Quality quality) => new(quality, _steps.StepQ16(k == 0 ? CodecRole.Base : CodecRole.Residual, quality));

    /// <summary>Encodes every layer at <paramref name="qualities"/>, handing each to <paramref name="onLayer"/> as soon as it is coded.</summary>
    /// <param name="qualities">The quality of each layer.</param>
    /// <param name="onLayer">Called with each layer as soon as it is coded.</param>
    /// <param name="singlePass">No other pass follows (no rate-control probes): each layer's reference image is released
    /// as soon as it is analysed, so a large image's references do not stay alive through the later layers.</param>
    public async ValueTask<List<CodedLayer>> EncodeAsync(IReadOnlyList<Quality> qualities, Func<int, CodedLayer, ValueTask>? onLayer, bool singlePass = false)
    {
        var networks = _model.NetworksFor(qualities[0]);
        var layers = new List<CodedLayer>(_plan.Count);
        PlanarImage? previous = null;
        for (int k = 0; k < _plan.Count; k++)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            var analyzed = Analyze(networks, k, previous);
            // One pass, no probes: this layer's reference is not read again (a variable-rate base analysis is cached).
            if (singlePass) _references[k] = null;
            var rate = RateOf(k, qualities[k]);
            var (coded, ySymbols) = analyzed.Latents.Quantize(rate.StepQ16);
            var reconstruction = NeedsReconstruction(k) ? analyzed.Reconstruct(ySymbols, rate.StepQ16, _cancellationToken) : null;
            var layer = new CodedLayer(rate, new LayerPayload(coded.ZStream, coded.YStream), reconstruction, watch.Elapsed);
            layers.Add(layer);
            if (onLayer is not null) await onLayer(k, layer).ConfigureAwait(false);
            previous = reconstruction;
        }
        return layers;
    }

    /// <summary>Searches the qualities that meet <paramref name="budgets"/> (accumulated bytes per layer; null = free).</summary>
    /// <exception cref="CompassFormatException">Even the lowest quality exceeds a budget (<see cref="CompassFormatErrorKind.LimitExceeded"/>).</exception>
    public List<CodedLayer> Search(IReadOnlyList<long?> budgets, bool perLayer)
    {
        Probes = 0;
        return perLayer ? SearchPerLayer(budgets) : SearchUniform(budgets);
    }

    // Variable-rate model, a budget per layer: layer k's bytes depend only on layers < k, so fix them one at a time.
    private List<CodedLayer> SearchPerLayer(IReadOnlyList<long?> budgets)
    {
        var networks = _model.NetworksFor(_model.MinQuality);
        var layers = new List<CodedLayer>(_plan.Count);
        long accumulated = _headerSize;
        PlanarImage? previous = null;
        for (int k = 0; k < _plan.Count; k++)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            var analyzed = Analyze(networks, k, previous);
            long before = accumulated;
            int layerIndex = k;
            (double Load, (LayerRate Rate, CodedLatents Coded, int[] Symbols) Result) Probe(int q88)
            {
                Probes++;
                var rate = RateOf(layerIndex, Quality.FromQ88(q88));
                var (coded, symbols) = analyzed.Latents.Quantize(rate.StepQ16);
                long bytes = before + BitstreamFormat.ChunkHeadSize + new LayerPayload(coded.ZStream, coded.YStream).Length;
                return (budgets[layerIndex] is { } budget ? bytes / (double)budget : 0, (rate, coded, symbols));
            }
            var chosen = Search(_model.MinQuality.Q88, _model.MaxQuality.Q88, continuous: true, Probe,
                smallest => TooSmall(layerIndex, budgets[layerIndex]!.Value, smallest.Load * budgets[layerIndex]!.Value, smallest.Result.Rate.Quality));
            var (chosenRate, chosenCoded, chosenSymbols) = chosen;
            var payload = new LayerPayload(chosenCoded.ZStream, chosenCoded.YStream);
            var reconstruction = NeedsReconstruction(k) ? analyzed.Reconstruct(chosenSymbols, chosenRate.StepQ16, _cancellationToken) : null;
            layers.Add(new CodedLayer(chosenRate, payload, reconstruction, watch.Elapsed));
            accumulated += BitstreamFormat.ChunkHeadSize + payload.Length;
            previous = reconstruction;
        }
        return layers;
    }

    // One quality for every layer: each probe encodes the whole stream (a variable-rate model reuses the base analysis).
    private List<CodedLayer> SearchUniform(IReadOnlyList<long?> budgets)
    {
        bool continuous = _model.Rate is not null;
        var levels = _model.Qualities;
        int lo = continuous ? _model.MinQuality.Q88 : 0, hi = continuous ? _model.MaxQuality.Q88 : levels.Count - 1;
        Quality At(int candidate) => continuous ? Quality.FromQ88(candidate) : new Quality(levels[candidate]);
        if (!continuous)
        {
            // A single-rate set: each level is its own networks, so bytes need not grow with the level. Its few levels
            // are tried from the highest down; the first that fits wins.
            (double Load, (List<CodedLayer> Layers, int Worst, long Bytes) Result)? smallest = null;
            for (int c = hi; c >= lo; c--)
            {
                var probe = ProbeUniformAsync(At(c), budgets).AsTask().GetAwaiter().GetResult();
                if (probe.Load <= 1) return probe.Result.Layers;
                if (smallest is null || probe.Result.Bytes < smallest.Value.Result.Bytes) smallest = probe;
            }
            var worst = smallest!.Value.Result;
            throw TooSmall(worst.Worst, budgets[worst.Worst]!.Value, worst.Bytes, worst.Layers[0].Rate.Quality);
        }
        // Without a layer callback EncodeAsync never awaits: it completes synchronously.
        var chosen = Search(lo, hi, continuous, c => ProbeUniformAsync(At(c), budgets).AsTask().GetAwaiter().GetResult(),
            smallest => TooSmall(smallest.Result.Worst, budgets[smallest.Result.Worst]!.Value, smallest.Result.Bytes, At(lo)));
        return chosen.Layers;
    }

    private async ValueTask<(double Load, (List<CodedLayer> Layers, int Worst, long Bytes) Result)> ProbeUniformAsync(Quality quality, IReadOnlyList<long?> budgets)
    {
        Probes++;
        var layers = await EncodeAsync(Enumerable.Repeat(quality, _plan.Count).ToArray(), onLayer: null).ConfigureAwait(false);
        long accumulated = _headerSize;
        double load = 0;
        int worst = 0;
        long worstBytes = 0;
        for (int k = 0; k < layers.Count; k++)
        {
            accumulated += BitstreamFormat.ChunkHeadSize + layers[k].Payload.Length;
            if (budgets[k] is { } budget && accumulated / (double)budget > load)
            {
                load = accumulated / (double)budget;
                worst = k;
                worstBytes = accumulated;
            }
        }
        return (load, (layers, worst, worstBytes));
    }

    /// <summary>
    /// The highest candidate in [lo, hi] whose probe fits (load &lt;= 1), assuming the load grows with the candidate:
    /// interpolation in log(load) alternating with bisection; a continuous search stops once a fitting probe is close
    /// enough to its budget. Throws <paramref name="tooSmall"/>(probe of lo) when even lo does not fit.
    /// </summary>
    internal static T Search<T>(int lo, int hi, bool continuous, Func<int, (double Load, T Result)> probe, Func<(double Load, T Result), Exception> tooSmall)
    {
        var low = probe(lo);
        if (low.Load > 1) throw tooSmall(low);
        if (lo == hi) return low.Result;
        var high = probe(hi);
        if (high.Load <= 1) return high.Result;
        bool bisect = false;
        while (hi - lo > 1 && !(continuous && low.Load >= CloseEnough))
        {
            double t = (Math.Log(Aim) - Math.Log(low.Load)) / (Math.Log(high.Load) - Math.Log(low.Load));
            int mid = bisect || !double.IsFinite(t) ? lo + ((hi - lo) / 2) : lo + (int)Math.Round(t * (hi - lo));
            mid = Math.Clamp(mid, lo + 1, hi - 1);
            var m = probe(mid);
            if (m.Load <= 1) (lo, low) = (mid, m);
            else (hi, high) = (mid, m);
            bisect = !bisect;
        }
        return low.Result;
    }

    private static CompassFormatException TooSmall(int layer, long budget, double smallestBytes, Quality lowest) =>
        new(CompassFormatErrorKind.LimitExceeded, string.Create(CultureInfo.InvariantCulture,
            $"The byte budget cannot be met: at quality {lowest} (the smallest result) the stream up to layer {layer} takes {(long)Math.Round(smallestBytes)} bytes, over its budget of {budget} bytes. The smallest achievable size is {(long)Math.Round(smallestBytes)} bytes."));

    private AnalyzedLayer Analyze(ICompassNetworks networks, int k, PlanarImage? previous)
    {
        // A variable-rate model's base layer does not depend on the quality: analyse it once for every probe.
        if (k == 0 && _model.Rate is not null && _baseAnalysis is not null) return _baseAnalysis;
        var target = PlanarImage.FromPixels(_references[k]
            ?? throw new InvalidOperationException($"Layer {k}'s reference was released after its single pass."));
        var tiling = TilingPolicy.Default.WithProgress(_tileProgress is null ? null : new TileProgressSink(_tileProgress, k, _plan.Count));
        var analyzed = LayerChain.AnalyzeLayer(networks, k, target, previous, networks.EntropyPath, _cancellationToken, reconstruct: NeedsReconstruction(k), tiling);
        if (k == 0 && _model.Rate is not null) _baseAnalysis = analyzed;
        return analyzed;
    }

    // The last layer's reconstruction feeds nothing: skip its synthesis unless the caller keeps it.
    private bool NeedsReconstruction(int k) => k < _plan.Count - 1 || _keepReconstructions;
}
