using System.Diagnostics;
using Compass.Training.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Refinement;

/// <summary>
/// Encoder effort for one codec at one rate (docs/encoder-effort.md): refines the latents y and z of an image by
/// gradient steps on the rate-distortion objective the codec was trained on, with its networks frozen, after Yang,
/// Bamler and Mandt 2020 ("Improving Inference for Neural Image Compression"). The decoder is unchanged: the refined
/// latents are quantised and coded as the analysis transform's would be.
/// </summary>
/// <remarks>
/// y is held in units of the quantisation step (as a variable-rate codec quantises it) and rounded around the
/// predicted means, z around the entropy bottleneck's medians, exactly as
/// <see cref="MeanScaleHyperprior.Forward(Tensor, bool, double)"/> in eval mode does; at step 0 the evaluation equals that
/// forward pass. The objective is <c>bpp + lambda * 255^2 * MSE</c> of the unclamped reconstruction, the loss of the
/// base-layer training stage.
/// </remarks>
public sealed class LatentRefiner : IDisposable
{
    private const double InitialTemperature = 0.5;
    private const double FinalTemperature = 0.01;
    private const double AtanhBound = 1e-5;

    private readonly MeanScaleHyperprior _codec;
    private readonly Tensor _step;

    /// <summary>Creates a refiner for <paramref name="codec"/>, whose parameters it freezes (<c>requires_grad = false</c>) and puts in eval mode.</summary>
    /// <param name="codec">The codec (single-rate, or one level of a variable-rate codec through <paramref name="step"/>).</param>
    /// <param name="step">The quantisation step of y (1 for a single-rate codec; a variable-rate level's <c>exp(logStep)</c>).</param>
    /// <param name="lambda">The rate-distortion lambda of the objective (the level's, <see cref="RateLadder.LambdaOf(double)"/>).</param>
    /// <exception cref="ArgumentException">A step or lambda that is not positive and finite.</exception>
    public LatentRefiner(MeanScaleHyperprior codec, float step, double lambda)
    {
        ArgumentNullException.ThrowIfNull(codec);
        if (!(step > 0 && float.IsFinite(step))) throw new ArgumentException($"The quantisation step must be positive and finite, got {step}.", nameof(step));
        if (!(lambda > 0 && double.IsFinite(lambda))) throw new ArgumentException($"Lambda must be positive and finite, got {lambda}.", nameof(lambda));
        _codec = codec;
        codec.eval();
        foreach (var p in codec.parameters()) p.requires_grad = false;
        Step = step;
        Lambda = lambda;
        // A 0-dim float32 tensor, as the codec's own forward divides by its exp(log-step): the same rounding.
        _step = tensor(step);
    }

    /// <summary>The quantisation step of y.</summary>
    public float Step { get; }

    /// <summary>The rate-distortion lambda.</summary>
    public double Lambda { get; }

    /// <summary>The analysis transforms' latents of <paramref name="image"/>: y in units of the step, z (the caller owns them).</summary>
    /// <param name="image">The image [1, 3, H, W] on [0, 1].</param>
    public (Tensor Y, Tensor Z) Analyze(Tensor image)
    {
        CheckImage(image);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var y = _codec.Analysis(image);
        var z = _codec.HyperAnalysis(y);
        return (y.div(_step).MoveToOuterDisposeScope(), z.MoveToOuterDisposeScope());
    }

    /// <summary>Measures latents <paramref name="y"/> (in units of the step) and <paramref name="z"/> as the decoder would see them.</summary>
    /// <param name="image">The original [1, 3, H, W] on [0, 1] (8-bit values divided by 255).</param>
    /// <param name="y">The latent y in units of the step.</param>
    /// <param name="z">The hyper-latent z.</param>
    /// <param name="steps">Recorded as <see cref="LatentEvaluation.Steps"/>.</param>
    /// <param name="seconds">Recorded as <see cref="LatentEvaluation.Seconds"/>.</param>
    public LatentEvaluation Evaluate(Tensor image, Tensor y, Tensor z, int steps = 0, double seconds = 0)
    {
        CheckImage(image);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(z);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int height = (int)image.shape[2], width = (int)image.shape[3];
        double pixels = (double)height * width;
        // The same calls, in the same order, as the codec's eval forward pass.
        var (zHat, zLikelihoods) = _codec.EntropyBottleneck.Forward(z.detach(), training: false);
        var (scales, means) = _codec.HyperSynthesis(zHat, (int)y.shape[2], (int)y.shape[3]);
        scales = scales.div(_step);
        means = means.div(_step);
        var (yHat, yLikelihoods) = GaussianConditional.Forward(y.detach(), scales, means, training: false);
        var xHat = _codec.Synthesis(yHat.mul(_step), height, width);
        double bitsY = -yLikelihoods.log2().sum().item<float>();
        double bitsZ = -zLikelihoods.log2().sum().item<float>();
        double mse = xHat.sub(image).square().mean().item<float>();
        // What a viewer gets: the reconstruction clamped and rounded to 8 bits, against the original's 8-bit values.
        var decoded = xHat.clamp(0, 1).mul(255).round();
        var original = image.mul(255).round();
        double mse8 = decoded.sub(original).square().to_type(ScalarType.Float64).mean().item<double>();
        double psnr = 10 * Math.Log10(255.0 * 255.0 / Math.Max(mse8, 1e-12));
        double bpp = (bitsY + bitsZ) / pixels;
        return new LatentEvaluation(steps, bpp, bitsY / pixels, bitsZ / pixels, psnr, bpp + (Lambda * 255 * 255 * mse), seconds);
    }

    /// <summary>
    /// Refines the latents of <paramref name="image"/> with Adam and returns the evaluation at step 0 and at every count of
    /// <see cref="RefinementOptions.Steps"/>.
    /// </summary>
    /// <param name="image">The image [1, 3, H, W] on [0, 1] (8-bit values divided by 255).</param>
    /// <param name="options">Method, step counts, learning rate and seed.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <exception cref="ArgumentException">Invalid options or image.</exception>
    public IReadOnlyList<LatentEvaluation> Refine(Tensor image, RefinementOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem) throw new ArgumentException($"Refinement options: {problem}.", nameof(options));
        CheckImage(image);
        var (y0, z0) = Analyze(image);
        using var y = new TorchSharp.Modules.Parameter(y0);
        using var z = new TorchSharp.Modules.Parameter(z0);
        y0.Dispose();
        z0.Dispose();
        var results = new List<LatentEvaluation> { Evaluate(image, y, z) };
        using var optimizer = optim.Adam([y, z], options.LearningRate);
        using var generator = new Generator((ulong)options.Seed);
        using var medians = _codec.EntropyBottleneck.Medians().reshape(1, -1, 1, 1);
        int total = options.Steps[^1];
        int next = 0;
        var clock = new Stopwatch();
        for (int t = 0; t < total; t++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            clock.Start();
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                double temperature = InitialTemperature * Math.Pow(FinalTemperature / InitialTemperature, total == 1 ? 1 : t / (double)(total - 1));
                var loss = RelaxedLoss(image, y, z, medians, options.Method, temperature, generator);
                loss.backward();
                optimizer.step();
            }
            clock.Stop();
            if (t + 1 == options.Steps[next])
            {
                results.Add(Evaluate(image, y, z, t + 1, clock.Elapsed.TotalSeconds));
                next++;
            }
        }
        return results;
    }

    /// <summary>Frees the step tensor (the codec is the caller's).</summary>
    public void Dispose() => _step.Dispose();

    /// <summary>The objective with relaxed (SGA) or straight-through (STE) quantisation; graph attached to y and z.</summary>
    private Tensor RelaxedLoss(Tensor image, Tensor y, Tensor z, Tensor medians, RefinementMethod method, double temperature, Generator generator)
    {
        int height = (int)image.shape[2], width = (int)image.shape[3];
        var zTilde = medians.add(Quantize(z.sub(medians), method, temperature, generator));
        var (scales, means) = _codec.HyperSynthesis(zTilde, (int)y.shape[2], (int)y.shape[3]);
        scales = scales.div(_step);
        means = means.div(_step);
        var yTilde = means.add(Quantize(y.sub(means), method, temperature, generator));
        var yLikelihoods = GaussianConditional.Likelihood(yTilde, scales, means);
        var zLikelihoods = ZLikelihoods(zTilde);
        var xHat = _codec.Synthesis(yTilde.mul(_step), height, width);
        var bits = yLikelihoods.log2().sum().add(zLikelihoods.log2().sum()).neg();
        var rate = bits.div((double)height * width);
        var mse = xHat.sub(image).square().mean();
        return rate.add(mse.mul(Lambda * 255 * 255));
    }

    /// <summary>The factorised likelihoods of already quantised (or relaxed) z, as the entropy bottleneck computes them.</summary>
    private Tensor ZLikelihoods(Tensor zTilde)
    {
        var values = zTilde.transpose(0, 1).contiguous().reshape(_codec.EntropyBottleneck.Channels, 1, -1);
        return LowerBound.Apply(_codec.EntropyBottleneck.Likelihood(values), EntropyBottleneck.LikelihoodBound);
    }

    /// <summary>Quantises residuals <paramref name="r"/> (latent minus its mean or median) for the optimisation.</summary>
    internal static Tensor Quantize(Tensor r, RefinementMethod method, double temperature, Generator generator)
    {
        if (method == RefinementMethod.Ste)
        {
            // The value is round(r) (up to one float rounding), the gradient that of the identity.
            return r.add(r.detach().round().sub(r.detach()));
        }
        // SGA: a two-way Gumbel-softmax between floor and floor + 1. The logits are -atanh of the distance to each,
        // over the temperature; the difference of two Gumbel samples is logistic, so one uniform draw serves both.
        var floor = r.detach().floor();
        var fraction = r.sub(floor);
        var toFloor = fraction.clamp(-1 + AtanhBound, 1 - AtanhBound).atanh().neg().div(temperature);
        var toCeiling = fraction.neg().add(1).clamp(-1 + AtanhBound, 1 - AtanhBound).atanh().neg().div(temperature);
        var u = rand(r.shape, dtype: r.dtype, device: r.device, generator: generator).clamp(1e-6, 1 - 1e-6);
        var logistic = u.log().sub(u.neg().add(1).log());
        var ceilingWeight = toCeiling.sub(toFloor).add(logistic).div(temperature).sigmoid();
        return floor.add(ceilingWeight);
    }

    private static void CheckImage(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 4 || image.shape[0] != 1 || image.shape[1] != 3)
            throw new ArgumentException($"Expected one RGB image [1, 3, H, W], got [{string.Join(", ", image.shape)}].", nameof(image));
    }
}
