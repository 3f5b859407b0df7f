using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// Fully factorised entropy model for the hyper-latent z (Balle et al. 2018, CompressAI
/// <c>EntropyBottleneck</c> semantics): per channel a small monotone network gives the logits of the
/// cumulative; the likelihood of a value is <c>CDF(v + 0.5) - CDF(v - 0.5)</c>, bounded below by 1e-9.
/// </summary>
/// <remarks>
/// Parameter names mirror the official state_dict (<c>_matrix{i}</c>, <c>_bias{i}</c>, <c>_factor{i}</c>,
/// <c>quantiles</c>). <c>quantiles</c> [C, 1, 3] holds (lower tail, median, upper tail); it is trained only by
/// <see cref="AuxLoss"/>, with its own optimiser.
/// </remarks>
public sealed class EntropyBottleneck : nn.Module<Tensor, Tensor>
{
    /// <summary>Lower bound applied to every likelihood.</summary>
    public const float LikelihoodBound = 1e-9f;

    private readonly Parameter[] matrices;
    private readonly Parameter[] biases;
    private readonly Parameter[] factors;
    private readonly Parameter quantiles;
    private readonly float[] target;

    /// <summary>Creates the model for <paramref name="channels"/> channels.</summary>
    /// <param name="channels">Number of channels of z.</param>
    /// <param name="filters">Hidden widths of the per-channel CDF network (default 3, 3, 3, 3).</param>
    /// <param name="initScale">Initial scale of the distribution (default 10).</param>
    /// <param name="tailMass">Probability mass outside the learned quantiles (default 1e-9).</param>
    /// <param name="name">Module name.</param>
    public EntropyBottleneck(long channels, int[]? filters = null, double initScale = 10, double tailMass = 1e-9, string name = "EntropyBottleneck")
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        Channels = channels;
        var hidden = filters is null ? new[] { 3, 3, 3, 3 } : (int[])filters.Clone();
        Filters = hidden;
        TailMass = tailMass;
        int layers = hidden.Length + 1;
        var widths = new long[layers + 1];
        widths[0] = 1;
        for (int i = 0; i < hidden.Length; i++) widths[i + 1] = hidden[i];
        widths[layers] = 1;
        double scale = Math.Pow(initScale, 1.0 / layers);

        matrices = new Parameter[layers];
        biases = new Parameter[layers];
        factors = new Parameter[hidden.Length];
        using (no_grad())
        {
            for (int i = 0; i < layers; i++)
            {
                double init = Math.Log(Math.Exp(1.0 / scale / widths[i + 1]) - 1.0);
                matrices[i] = new Parameter(full(new[] { channels, widths[i + 1], widths[i] }, (float)init));
                register_parameter($"_matrix{i}", matrices[i]);
                biases[i] = new Parameter(empty(channels, widths[i + 1], 1).uniform_(-0.5, 0.5));
                register_parameter($"_bias{i}", biases[i]);
                if (i < hidden.Length)
                {
                    factors[i] = new Parameter(zeros(channels, widths[i + 1], 1));
                    register_parameter($"_factor{i}", factors[i]);
                }
            }
            using var q = tensor(new float[] { (float)-initScale, 0f, (float)initScale });
            quantiles = new Parameter(q.repeat(channels, 1, 1));
        }
        register_parameter("quantiles", quantiles);
        float t = (float)Math.Log(2.0 / tailMass - 1.0);
        target = [-t, 0f, t];
    }

    /// <summary>Number of channels.</summary>
    public long Channels { get; }

    /// <summary>Hidden widths of the CDF network.</summary>
    public IReadOnlyList<int> Filters { get; }

    /// <summary>Tail mass the quantiles are trained for.</summary>
    public double TailMass { get; }

    /// <summary>The learned quantiles [C, 1, 3] (lower, median, upper).</summary>
    public Parameter Quantiles => quantiles;

    /// <summary>The target logits of the quantiles: <c>[-log(2/tail - 1), 0, log(2/tail - 1)]</c>.</summary>
    public IReadOnlyList<float> Target => target;

    /// <summary>Per-channel medians <c>quantiles[:, 0, 1]</c>, shape [C] (detached copy).</summary>
    public Tensor Medians()
    {
        using var _ = no_grad();
        return quantiles.select(1, 0).select(1, 1).clone();
    }

    /// <summary>The quantised (eval) or noisy (training) z for the module's current mode, without likelihoods.</summary>
    /// <param name="z">Latent [B, C, H, W].</param>
    public override Tensor forward(Tensor z)
    {
        var (zTilde, likelihoods) = Forward(z, training);
        likelihoods.Dispose();
        return zTilde;
    }

    /// <summary>The coded symbols <c>round(z - median)</c> as int32 (shape of <paramref name="z"/>).</summary>
    /// <param name="z">Latent [B, C, H, W].</param>
    public Tensor Symbols(Tensor z)
    {
        using var scope = NewDisposeScope();
        var medians = quantiles.detach().select(1, 0).narrow(1, 1, 1).reshape(1, Channels, 1, 1);
        return z.sub(medians).round().to_type(ScalarType.Int32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Quantises <paramref name="z"/> and returns it with its likelihoods. Training: <c>z + U(-0.5, 0.5)</c>;
    /// eval: <c>round(z - median) + median</c>.
    /// </summary>
    /// <param name="z">Latent [B, C, H, W].</param>
    /// <param name="training">True for additive uniform noise, false for rounding around the medians.</param>
    /// <param name="noise">Optional noise (layout of z) used instead of fresh uniform noise in training (for parity tests).</param>
    public (Tensor ZTilde, Tensor Likelihoods) Forward(Tensor z, bool training, Tensor? noise = null)
    {
        if (z.dim() != 4 || z.shape[1] != Channels)
            throw new ArgumentException($"Expected z of shape [B, {Channels}, H, W], got [{string.Join(", ", z.shape)}].", nameof(z));
        using var scope = NewDisposeScope();
        Tensor outputs;
        if (training)
        {
            outputs = z.add(noise ?? empty_like(z).uniform_(-0.5, 0.5));
        }
        else
        {
            var medians = quantiles.select(1, 0).narrow(1, 1, 1).reshape(1, Channels, 1, 1);
            outputs = z.sub(medians).round().add(medians);
        }
        // Per channel: [C, 1, B*H*W], as the CDF network is a batched per-channel matmul.
        var values = outputs.transpose(0, 1).contiguous();
        var shape = values.shape;
        values = values.reshape(Channels, 1, -1);
        var likelihood = LowerBound.Apply(Likelihood(values), LikelihoodBound);
        likelihood = likelihood.reshape(shape).transpose(0, 1).contiguous();
        return (outputs.MoveToOuterDisposeScope(), likelihood.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Auxiliary loss that moves the quantiles to the tail-mass targets:
    /// <c>sum |logits_cumulative(quantiles) - target|</c>, with the CDF network's parameters detached.
    /// </summary>
    public Tensor AuxLoss()
    {
        using var scope = NewDisposeScope();
        var logits = LogitsCumulative(quantiles, stopGradient: true);
        var t = tensor(target, device: quantiles.device).reshape(1, 1, 3);
        return logits.sub(t).abs().sum().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The per-channel probability tables for the entropy coder, computed exactly as CompressAI's
    /// <c>EntropyBottleneck.update()</c> computes them before <c>pmf_to_quantized_cdf</c>.
    /// </summary>
    /// <returns>One entry per channel: pmf, tail mass and offset (= -minima).</returns>
    public IReadOnlyList<FactorizedChannelPmf> ChannelPmfs()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var q = quantiles.detach().select(1, 0); // [C, 3]
        var medians = q.select(1, 1);
        var minima = medians.sub(q.select(1, 0)).ceil().to_type(ScalarType.Int32).clamp_min(0);
        var maxima = q.select(1, 2).sub(medians).ceil().to_type(ScalarType.Int32).clamp_min(0);
        var pmfStart = medians.sub(minima);                       // float32, as in CompressAI
        var pmfLength = maxima.add(minima).add(1);
        int maxLength = pmfLength.max().item<int>();
        var samples = arange(maxLength, dtype: ScalarType.Int64).unsqueeze(0).add(pmfStart.unsqueeze(1).unsqueeze(2)); // [C, 1, L]
        var lower = LogitsCumulative(samples.sub(0.5), stopGradient: true);
        var upper = LogitsCumulative(samples.add(0.5), stopGradient: true);
        var sign = lower.add(upper).sign().neg();
        var pmf = sign.mul(upper).sigmoid().sub(sign.mul(lower).sigmoid()).abs().select(1, 0); // [C, L]
        // CompressAI takes the upper tail at the LAST sample of the longest channel for every channel; kept for parity.
        var tail = lower.select(1, 0).narrow(1, 0, 1).sigmoid().add(upper.select(1, 0).narrow(1, maxLength - 1, 1).neg().sigmoid()).squeeze(1);

        var pmfData = pmf.contiguous().data<float>().ToArray();
        var tailData = tail.contiguous().data<float>().ToArray();
        var lengthData = pmfLength.contiguous().data<int>().ToArray();
        var minimaData = minima.contiguous().data<int>().ToArray();
        var result = new FactorizedChannelPmf[Channels];
        for (int c = 0; c < Channels; c++)
        {
            var p = new float[lengthData[c]];
            Array.Copy(pmfData, c * maxLength, p, 0, p.Length);
            result[c] = new FactorizedChannelPmf(p, tailData[c], -minimaData[c]);
        }
        return result;
    }

    /// <summary>Likelihood of per-channel values [C, 1, N] (sigmoid-difference form with the sign trick).</summary>
    internal Tensor Likelihood(Tensor values)
    {
        using var scope = NewDisposeScope();
        var lower = LogitsCumulative(values.sub(0.5), stopGradient: false);
        var upper = LogitsCumulative(values.add(0.5), stopGradient: false);
        // Evaluating the difference on the side where the sigmoid is small keeps precision in the tails.
        var sign = lower.add(upper).sign().neg().detach();
        return sign.mul(upper).sigmoid().sub(sign.mul(lower).sigmoid()).abs().MoveToOuterDisposeScope();
    }

    /// <summary>Logits of the cumulative for per-channel inputs [C, 1, N]; returns [C, 1, N].</summary>
    internal Tensor LogitsCumulative(Tensor inputs, bool stopGradient)
    {
        using var scope = NewDisposeScope();
        var logits = inputs;
        for (int i = 0; i < matrices.Length; i++)
        {
            Tensor m = stopGradient ? matrices[i].detach() : matrices[i];
            logits = matmul(nn.functional.softplus(m), logits);
            Tensor b = stopGradient ? biases[i].detach() : biases[i];
            logits = logits.add(b);
            if (i < factors.Length)
            {
                Tensor f = stopGradient ? factors[i].detach() : factors[i];
                logits = logits.add(f.tanh().mul(logits.tanh()));
            }
        }
        return logits.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// One channel's probability table of the factorised model, before quantisation to an integer CDF:
/// the pmf over <c>[offset, offset + Pmf.Length)</c> (symbol = round(z - median)), and the tail mass that
/// goes to the escape symbol.
/// </summary>
/// <param name="Pmf">Probabilities of the in-range symbols (length = CompressAI <c>pmf_length</c>).</param>
/// <param name="TailMass">Mass outside the range (CompressAI's tail estimate).</param>
/// <param name="Offset">Symbol value of the first pmf entry (CompressAI <c>_offset</c> = -minima, at most 0).</param>
public sealed record FactorizedChannelPmf(float[] Pmf, float TailMass, int Offset)
{
    /// <summary>Length of the quantised CDF (CompressAI <c>_cdf_length</c> = pmf length + 2).</summary>
    public int CdfLength => Pmf.Length + 2;
}
