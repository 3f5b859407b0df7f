using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>What the synthesis transform receives in <see cref="MeanScaleHyperprior.Forward(Tensor, bool, SynthesisInput)"/>.</summary>
public enum SynthesisInput
{
    /// <summary>
    /// [ours] <c>mu + round(y - mu)</c>, exactly what the decoder sees, with a straight-through gradient to y.
    /// </summary>
    QuantizedAroundMeans,

    /// <summary>The authors' fork: <c>round(y)</c> with a straight-through gradient (for parity tests).</summary>
    RoundedLatent,
}

/// <summary>
/// Mean-scale hyperprior codec (Minnen et al. 2018, without context model; CompressAI <c>mbt2018-mean</c>)
/// with the odd-size scheme of the COMPASS authors' fork. The same architecture codes the base layer and
/// the enhancement-layer residuals.
/// </summary>
/// <remarks>
/// Submodule and parameter names mirror the official state_dict (<c>g_a.0.weight</c>, <c>g_a.1.beta</c>,
/// <c>h_s.4.bias</c>, <c>entropy_bottleneck._matrix0</c>, <c>entropy_bottleneck.quantiles</c> ...), so importing
/// official weights is a name-to-name copy. The parts are exposed separately for export; every pad / crop
/// flag is derived from the sizes passed in (<see cref="OddSizePadding"/>).
/// </remarks>
public sealed class MeanScaleHyperprior : nn.Module<Tensor, CodecForwardResult>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> g_a;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> g_s;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> h_a;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> h_s;
    private readonly EntropyBottleneck entropy_bottleneck;
    private readonly Parameter? rate_log_steps;
    private readonly Tensor? rate_qualities;

    /// <summary>Creates the codec with <paramref name="n"/> transform channels and <paramref name="m"/> latent channels.</summary>
    /// <param name="n">Channels of the transforms and of z (paper preset 128).</param>
    /// <param name="m">Channels of y (paper preset 192); must be even (h_s's middle width is 3M/2).</param>
    /// <param name="name">Module name.</param>
    public MeanScaleHyperprior(int n, int m, string name = "MeanScaleHyperprior") : this(n, m, null, 0, CodecNonlinearity.Gdn, name) { }

    /// <summary>
    /// Creates a variable-rate codec (docs/method.md#variable-rate): one learned quantisation step per quality of
    /// <paramref name="rateQualities"/>. The latent is divided by the level's step before quantisation and
    /// multiplied back before synthesis, and the predicted means and scales are divided by it, so one set of
    /// transforms serves every level. <see cref="FoldRateLevel"/> turns one level into an ordinary codec.
    /// </summary>
    /// <param name="n">Channels of the transforms and of z.</param>
    /// <param name="m">Channels of y; must be even.</param>
    /// <param name="rateQualities">Qualities of the levels (multiples of 1/256 in 1/256..8, <see cref="RateLadder.LambdaOf(double)"/>), distinct; null or empty: a single-rate codec.</param>
    /// <param name="referenceQuality">The level whose initial step is 1 (a single-rate codec trained at that quality is exactly this level);
    /// the others start at <c>sqrt(lambda_ref / lambda_q)</c>, the step that keeps <c>lambda * step^2</c> constant.</param>
    /// <param name="nonlinearity">The nonlinearity of g_a and g_s (GDN in the paper).</param>
    /// <param name="name">Module name.</param>
    public MeanScaleHyperprior(int n, int m, IReadOnlyList<double>? rateQualities, double referenceQuality,
        CodecNonlinearity nonlinearity = CodecNonlinearity.Gdn, string name = "MeanScaleHyperprior") : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 2);
        if (m % 2 != 0) throw new ArgumentException("M must be even (h_s's middle layer has 3M/2 channels).", nameof(m));
        N = n;
        M = m;
        Nonlinearity = nonlinearity;
        g_a = nn.ModuleList<nn.Module<Tensor, Tensor>>(
            Conv(3, n, 5, 2), Nl(n, false), Conv(n, n, 5, 2), Nl(n, false), Conv(n, n, 5, 2), Nl(n, false), Conv(n, m, 5, 2));
        g_s = nn.ModuleList<nn.Module<Tensor, Tensor>>(
            Deconv(m, n), Nl(n, true), Deconv(n, n), Nl(n, true),
            Deconv(n, n), Nl(n, true), Deconv(n, 3));
        h_a = nn.ModuleList<nn.Module<Tensor, Tensor>>(
            Conv(m, n, 3, 1), nn.LeakyReLU(0.01), Conv(n, n, 5, 2), nn.LeakyReLU(0.01), Conv(n, n, 5, 2));
        h_s = nn.ModuleList<nn.Module<Tensor, Tensor>>(
            Deconv(n, m), nn.LeakyReLU(0.01), Deconv(m, m * 3 / 2), nn.LeakyReLU(0.01), Conv(m * 3 / 2, m * 2, 3, 1));
        entropy_bottleneck = new EntropyBottleneck(n);
        register_module("g_a", g_a);
        register_module("g_s", g_s);
        register_module("h_a", h_a);
        register_module("h_s", h_s);
        register_module("entropy_bottleneck", entropy_bottleneck);
        if (rateQualities is { Count: > 0 })
        {
            if (rateQualities.Distinct().Count() != rateQualities.Count)
                throw new ArgumentException("The rate levels' qualities must be distinct.", nameof(rateQualities));
            foreach (var q in rateQualities)
                if (!RateLadder.IsLevelQuality(q)) throw new ArgumentException(RateLadder.RangeMessage(q), nameof(rateQualities));
            if (!rateQualities.Contains(referenceQuality))
                throw new ArgumentException($"The reference quality {RateLadder.Format(referenceQuality)} is not one of the levels.", nameof(referenceQuality));
            double reference = RateLadder.LambdaOf(referenceQuality);
            var logSteps = rateQualities.Select(q => RuleLogStep(reference, q)).ToArray();
            rate_log_steps = new Parameter(tensor(logSteps));
            // Qualities are multiples of 1/256 up to 8: at most 11 significant bits, exact in the fp16 weights file.
            rate_qualities = tensor(rateQualities.Select(q => (float)q).ToArray());
            register_parameter("rate_log_steps", rate_log_steps);
            register_buffer("rate_qualities", rate_qualities);
            RateQualities = [.. rateQualities];
        }
    }

    /// <summary>The nonlinearity of g_a and g_s.</summary>
    public CodecNonlinearity Nonlinearity { get; }

    /// <summary>State-dict key of the learned log quantisation steps of a variable-rate codec.</summary>
    public const string RateLogStepsKey = "rate_log_steps";

    /// <summary>State-dict key of the qualities of a variable-rate codec's levels.</summary>
    public const string RateQualitiesKey = "rate_qualities";

    /// <summary>The qualities of the rate levels, in level order; empty for a single-rate codec.</summary>
    public IReadOnlyList<double> RateQualities { get; } = [];

    /// <summary>The qualities of a <c>rate_qualities</c> tensor (float or fp16; Q8.8 values up to 8 are exact in both).</summary>
    internal static IReadOnlyList<double> QualitiesOf(Tensor rateQualities)
    {
        using var values = rateQualities.detach().cpu().to_type(ScalarType.Float32);
        return [.. values.data<float>().Select(v => Math.Round(v * 256.0) / 256.0)];
    }

    /// <summary>The levels' qualities as text, for messages (<c>0.25, 0.5, 1, 2</c>).</summary>
    internal string Levels => string.Join(", ", RateQualities.Select(RateLadder.Format));

    /// <summary>True when the codec has rate levels (see the variable-rate constructor).</summary>
    public bool IsVariableRate => RateQualities.Count > 0;

    /// <summary>The level of <paramref name="quality"/> in <see cref="RateQualities"/>.</summary>
    /// <exception cref="ArgumentException">The codec has no such level.</exception>
    public int RateLevelOf(double quality)
    {
        for (int i = 0; i < RateQualities.Count; i++)
            if (RateQualities[i] == quality) return i;
        throw new ArgumentException(IsVariableRate
            ? $"The codec has no rate level of quality {RateLadder.Format(quality)}; its levels are qualities {Levels}."
            : "The codec is single-rate: it has no rate levels.", nameof(quality));
    }

    /// <summary>
    /// The initial log-step of level <paramref name="quality"/> relative to a codec trained at <paramref name="referenceLambda"/>:
    /// <c>0.5 ln(lambda_ref / lambda_q)</c>, the step that keeps <c>lambda * step^2</c> constant (as float32, the parameter's type).
    /// </summary>
    public static float RuleLogStep(double referenceLambda, double quality) => (float)(0.5 * Math.Log(referenceLambda / RateLadder.LambdaOf(quality)));

    /// <summary>
    /// Sets every level's log-step by <see cref="RuleLogStep"/> from <paramref name="referenceLambda"/>: what a single-rate codec
    /// trained at that lambda takes when it is loaded into this variable-rate one.
    /// </summary>
    /// <exception cref="InvalidOperationException">The codec is single-rate.</exception>
    public void SetRuleSteps(double referenceLambda)
    {
        if (rate_log_steps is null) throw new InvalidOperationException("The codec is single-rate: it has no rate levels.");
        if (!(referenceLambda > 0 && double.IsFinite(referenceLambda))) throw new ArgumentOutOfRangeException(nameof(referenceLambda), referenceLambda, "Lambda must be positive.");
        using var _ = no_grad();
        using var values = tensor(RateQualities.Select(q => RuleLogStep(referenceLambda, q)).ToArray());
        rate_log_steps.copy_(values);
    }

    /// <summary>Sets the log quantisation step of every level (<c>rate_log_steps</c>), in level order.</summary>
    /// <exception cref="InvalidOperationException">The codec is single-rate.</exception>
    /// <exception cref="ArgumentException">Not one finite value per level.</exception>
    public void SetRateLogSteps(IReadOnlyList<double> logSteps)
    {
        ArgumentNullException.ThrowIfNull(logSteps);
        if (rate_log_steps is null) throw new InvalidOperationException("The codec is single-rate: it has no rate levels.");
        if (logSteps.Count != RateQualities.Count || !logSteps.All(double.IsFinite))
            throw new ArgumentException($"Give one finite log-step per level ({RateQualities.Count}), not {logSteps.Count}.", nameof(logSteps));
        using var _ = no_grad();
        using var values = tensor(logSteps.Select(v => (float)v).ToArray());
        rate_log_steps.copy_(values);
    }

    /// <summary>The current log quantisation step of every level (<c>rate_log_steps</c>), in level order.</summary>
    public IReadOnlyList<float> RateLogSteps()
    {
        if (rate_log_steps is null) return [];
        using var _ = no_grad();
        using var steps = rate_log_steps.detach().cpu();
        return steps.data<float>().ToArray();
    }

    /// <summary>The current quantisation step of every level (<c>exp(rate_log_steps)</c>), in level order.</summary>
    public IReadOnlyList<double> RateSteps()
    {
        if (rate_log_steps is null) return [];
        using var _ = no_grad();
        using var steps = rate_log_steps.detach().exp();
        return steps.data<float>().Select(v => (double)v).ToArray();
    }

    /// <summary>
    /// An ordinary (single-rate) codec equal to level <paramref name="quality"/> of this one: the step is folded
    /// into the four linear layers around the quantiser (g_a's last and h_s's last convolution divided by it,
    /// h_a's first convolution and g_s's first deconvolution multiplied by it), so the exporter, the bitstream
    /// and the runtime need nothing new. The caller owns the result.
    /// </summary>
    /// <exception cref="ArgumentException">No level of that quality.</exception>
    public MeanScaleHyperprior FoldRateLevel(double quality)
    {
        int level = RateLevelOf(quality);
        var folded = new MeanScaleHyperprior(N, M, null, 0, Nonlinearity);
        try
        {
            using var _ = no_grad();
            double step = RateSteps()[level];
            var source = state_dict();
            foreach (var (key, target) in folded.state_dict())
                target.copy_(source[key]);
            var t = folded.state_dict();
            t["g_a.6.weight"].div_(step);
            t["g_a.6.bias"].div_(step);
            t["h_a.0.weight"].mul_(step);
            t["g_s.0.weight"].mul_(step);
            t["h_s.4.weight"].div_(step);
            t["h_s.4.bias"].div_(step);
            folded.train(training);
            return folded;
        }
        catch
        {
            folded.Dispose();
            throw;
        }
    }

    /// <summary>Channels of the transforms and of z.</summary>
    public int N { get; }

    /// <summary>Channels of y.</summary>
    public int M { get; }

    /// <summary>The factorised entropy model of z.</summary>
    public EntropyBottleneck EntropyBottleneck => entropy_bottleneck;

    /// <summary>g_a: image [B, 3, H, W] to latent y [B, M, ceil^4(H/2), ceil^4(W/2)].</summary>
    public Tensor Analysis(Tensor x)
    {
        CheckInput(x, 3, nameof(x));
        using var scope = NewDisposeScope();
        var flags = OddSizePadding.AnalysisFlags((int)x.shape[2], (int)x.shape[3]);
        var h = x;
        for (int stage = 0; stage < OddSizePadding.AnalysisStages; stage++)
        {
            h = g_a[2 * stage].call(OddSizePadding.Pad(h, flags[stage]));
            if (stage < OddSizePadding.AnalysisStages - 1) h = g_a[2 * stage + 1].call(h);
        }
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>h_a: latent y [B, M, h, w] to hyper-latent z [B, N, ceil^2(h/2), ceil^2(w/2)] (no abs, as the fork).</summary>
    public Tensor HyperAnalysis(Tensor y)
    {
        CheckInput(y, M, nameof(y));
        using var scope = NewDisposeScope();
        var flags = OddSizePadding.HyperAnalysisFlags((int)y.shape[2], (int)y.shape[3]);
        var h = y;
        for (int stage = 0; stage < OddSizePadding.HyperAnalysisStages; stage++)
        {
            h = h_a[2 * stage].call(OddSizePadding.Pad(h, flags[stage]));
            if (stage < OddSizePadding.HyperAnalysisStages - 1) h = h_a[2 * stage + 1].call(h);
        }
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// h_s: quantised z to the Gaussian parameters of y. The crops are derived from the latent size.
    /// </summary>
    /// <param name="zHat">Quantised hyper-latent [B, N, zh, zw].</param>
    /// <param name="latentHeight">Height of y.</param>
    /// <param name="latentWidth">Width of y.</param>
    /// <returns>Scales (the first M channels of h_s's output) and means (the last M).</returns>
    public (Tensor Scales, Tensor Means) HyperSynthesis(Tensor zHat, int latentHeight, int latentWidth)
    {
        CheckInput(zHat, N, nameof(zHat));
        var expected = OddSizePadding.HyperLatentSize(latentHeight, latentWidth);
        CheckSize(zHat, expected, $"a {latentHeight}x{latentWidth} latent", nameof(zHat));
        using var scope = NewDisposeScope();
        var flags = OddSizePadding.HyperAnalysisFlags(latentHeight, latentWidth);
        var h = zHat;
        for (int stage = OddSizePadding.HyperAnalysisStages - 1; stage >= 0; stage--)
        {
            int layer = 2 * (OddSizePadding.HyperAnalysisStages - 1 - stage);
            h = OddSizePadding.Crop(h_s[layer].call(h), flags[stage]);
            if (stage > 0) h = h_s[layer + 1].call(h);
        }
        var parts = h.chunk(2, 1);
        return (parts[0].MoveToOuterDisposeScope(), parts[1].MoveToOuterDisposeScope());
    }

    /// <summary>g_s: quantised latent to the image. The crops are derived from the image size. Not clamped.</summary>
    /// <param name="yHat">Quantised latent [B, M, h, w].</param>
    /// <param name="imageHeight">Height of the image to reconstruct.</param>
    /// <param name="imageWidth">Width of the image to reconstruct.</param>
    public Tensor Synthesis(Tensor yHat, int imageHeight, int imageWidth)
    {
        CheckInput(yHat, M, nameof(yHat));
        var expected = OddSizePadding.LatentSize(imageHeight, imageWidth);
        CheckSize(yHat, expected, $"a {imageHeight}x{imageWidth} image", nameof(yHat));
        using var scope = NewDisposeScope();
        var flags = OddSizePadding.AnalysisFlags(imageHeight, imageWidth);
        var h = yHat;
        for (int stage = OddSizePadding.AnalysisStages - 1; stage >= 0; stage--)
        {
            int layer = 2 * (OddSizePadding.AnalysisStages - 1 - stage);
            h = OddSizePadding.Crop(g_s[layer].call(h), flags[stage]);
            if (stage > 0) h = g_s[layer + 1].call(h);
        }
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>Forward pass in the module's current mode (<c>train()</c> / <c>eval()</c>), with our synthesis input.</summary>
    public override CodecForwardResult forward(Tensor x) => Forward(x, training, SynthesisInput.QuantizedAroundMeans);

    /// <summary>
    /// The rate-distortion forward pass. Training: uniform noise on y and z for the likelihoods, and the
    /// synthesis input chosen by <paramref name="synthesisInput"/> with a straight-through gradient.
    /// Eval: rounding around the medians (z) and means (y); the synthesis gets <c>mu + round(y - mu)</c>
    /// (or <c>round(y)</c> for <see cref="SynthesisInput.RoundedLatent"/>).
    /// </summary>
    /// <param name="x">Image [B, 3, H, W] (any H, W &gt;= 1).</param>
    /// <param name="training">Noise (true) or rounding (false).</param>
    /// <param name="synthesisInput">What g_s receives.</param>
    public CodecForwardResult Forward(Tensor x, bool training, SynthesisInput synthesisInput = SynthesisInput.QuantizedAroundMeans)
        => Forward(x, training, synthesisInput, null, null);

    /// <summary>
    /// The forward pass of a variable-rate codec at the level of <paramref name="quality"/>: as
    /// <see cref="Forward(Tensor, bool, SynthesisInput)"/>, with y, the means and the scales in units of the level's
    /// quantisation step (the result's <c>Y</c>, <c>YTilde</c>, <c>Scales</c> and <c>Means</c> are in those units).
    /// </summary>
    /// <exception cref="ArgumentException">The codec has no level of that quality.</exception>
    public CodecForwardResult Forward(Tensor x, bool training, double quality)
        => Forward(x, training, SynthesisInput.QuantizedAroundMeans, null, null, RateLevelOf(quality));

    /// <summary>As the public overload, with injected noise tensors (layout of y and z) for parity tests.</summary>
    internal CodecForwardResult Forward(Tensor x, bool training, SynthesisInput synthesisInput, Tensor? noiseY, Tensor? noiseZ, int? level = null)
    {
        // A variable-rate codec has no meaning without a level (step 1 is none of them).
        if (level is null && IsVariableRate)
            throw new InvalidOperationException($"This codec is variable-rate (qualities {Levels}): give the quality, or fold a level first.");
        using var scope = NewDisposeScope();
        var y = Analysis(x);
        var z = HyperAnalysis(y);
        var (zTilde, zLikelihoods) = entropy_bottleneck.Forward(z, training, noiseZ);
        var (scales, means) = HyperSynthesis(zTilde, (int)y.shape[2], (int)y.shape[3]);
        Tensor? step = level is { } l ? rate_log_steps![l].exp() : null;
        if (step is not null)
        {
            y = y.div(step);
            scales = scales.div(step);
            means = means.div(step);
        }
        var (yTilde, yLikelihoods) = GaussianConditional.Forward(y, scales, means, training, noiseY);
        var quantised = synthesisInput == SynthesisInput.RoundedLatent
            ? y.detach().round()
            : (training ? GaussianConditional.Dequantize(y.detach(), means.detach()) : yTilde.detach());
        // Straight-through: the value is exactly the quantised one (y - y.detach() is exactly 0), the gradient reaches y.
        var synthesisIn = quantised.add(y.sub(y.detach()));
        if (step is not null) synthesisIn = synthesisIn.mul(step);
        var xHat = Synthesis(synthesisIn, (int)x.shape[2], (int)x.shape[3]);
        var result = new CodecForwardResult(xHat, y, yTilde, yLikelihoods, z, zTilde, zLikelihoods, scales, means);
        result.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>The auxiliary loss of the entropy bottleneck (train the quantiles with it, lr 1e-3).</summary>
    public Tensor AuxLoss() => entropy_bottleneck.AuxLoss();

    /// <summary>Parameters of the main rate-distortion optimiser: everything except the quantiles.</summary>
    public IEnumerable<Parameter> MainParameters() =>
        named_parameters().Where(p => !p.name.EndsWith("quantiles", StringComparison.Ordinal)).Select(p => p.parameter);

    /// <summary>Parameters of the auxiliary optimiser: the entropy bottleneck's quantiles.</summary>
    public IEnumerable<Parameter> AuxParameters() =>
        named_parameters().Where(p => p.name.EndsWith("quantiles", StringComparison.Ordinal)).Select(p => p.parameter);

    private nn.Module<Tensor, Tensor> Nl(long channels, bool inverse) => Nonlinearity switch
    {
        CodecNonlinearity.Gdn => new Gdn(channels, inverse),
        CodecNonlinearity.SimplifiedGdn => new Gdn(channels, inverse, simplified: true),
        CodecNonlinearity.Relu => nn.ReLU(),
        _ => throw new ArgumentOutOfRangeException(nameof(Nonlinearity), Nonlinearity, "Unknown nonlinearity."),
    };

    private static nn.Module<Tensor, Tensor> Conv(long inCh, long outCh, long kernel, long stride) =>
        nn.Conv2d(inCh, outCh, kernel, stride: stride, padding: kernel / 2);

    private static nn.Module<Tensor, Tensor> Deconv(long inCh, long outCh) =>
        nn.ConvTranspose2d(inCh, outCh, 5, stride: 2, padding: 2, output_padding: 1);

    private static void CheckInput(Tensor t, long channels, string paramName)
    {
        if (t.dim() != 4 || t.shape[1] != channels)
            throw new ArgumentException($"Expected a tensor [B, {channels}, H, W], got [{string.Join(", ", t.shape)}].", paramName);
    }

    private static void CheckSize(Tensor t, (int Height, int Width) expected, string what, string paramName)
    {
        if (t.shape[2] != expected.Height || t.shape[3] != expected.Width)
            throw new ArgumentException($"Expected {expected.Height}x{expected.Width} for {what}, got {t.shape[2]}x{t.shape[3]}.", paramName);
    }
}

/// <summary>Outputs of <see cref="MeanScaleHyperprior.Forward(Tensor, bool, SynthesisInput)"/>; dispose it to free the tensors.</summary>
/// <param name="XHat">Reconstruction (not clamped).</param>
/// <param name="Y">Latent y.</param>
/// <param name="YTilde">y + noise (training) or <c>round(y - mu) + mu</c> (eval): what the rate of y is measured on.</param>
/// <param name="YLikelihoods">Likelihoods of <paramref name="YTilde"/>.</param>
/// <param name="Z">Hyper-latent z.</param>
/// <param name="ZTilde">z + noise (training) or <c>round(z - median) + median</c> (eval): the input of h_s.</param>
/// <param name="ZLikelihoods">Likelihoods of <paramref name="ZTilde"/>.</param>
/// <param name="Scales">Predicted scales of y (before the 0.11 bound).</param>
/// <param name="Means">Predicted means of y.</param>
public sealed record CodecForwardResult(
    Tensor XHat, Tensor Y, Tensor YTilde, Tensor YLikelihoods, Tensor Z, Tensor ZTilde, Tensor ZLikelihoods, Tensor Scales, Tensor Means)
    : IDisposable
{
    private IEnumerable<Tensor> All => [XHat, Y, YTilde, YLikelihoods, Z, ZTilde, ZLikelihoods, Scales, Means];

    /// <summary>Moves every tensor to the enclosing dispose scope.</summary>
    internal void MoveToOuterDisposeScope()
    {
        foreach (var t in All) t.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in All) t.Dispose();
    }
}
