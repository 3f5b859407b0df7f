using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// Generalised divisive normalisation (Balle et al.): <c>out_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)</c>,
/// or, for the inverse (IGDN), <c>x_i * sqrt(...)</c>. The sum is a 1x1 convolution of <c>x^2</c>.
/// The simplified form (Johnston et al. 2019) drops the square and the root:
/// <c>out_i = x_i / (beta_i + sum_j gamma_ij |x_j|)</c> (inverse: times).
/// </summary>
/// <remarks>
/// <c>beta</c> and <c>gamma</c> are stored reparametrised exactly as CompressAI's <c>NonNegativeParametrizer</c>
/// stores them (value = <c>max(p, bound)^2 - pedestal</c>), so official weights load by name.
/// </remarks>
public sealed class Gdn : nn.Module<Tensor, Tensor>
{
    /// <summary>CompressAI's <c>reparam_offset</c>, 2^-18.</summary>
    public const double ReparamOffset = 1.0 / (1 << 18);

    /// <summary>The pedestal subtracted after squaring, <c>ReparamOffset^2 = 2^-36</c>.</summary>
    public const double Pedestal = ReparamOffset * ReparamOffset;

    /// <summary>Lower bound of the effective beta (CompressAI <c>beta_min</c>).</summary>
    public const double BetaMin = 1e-6;

    /// <summary>Bound on the stored beta: <c>sqrt(BetaMin + Pedestal)</c>, as float32.</summary>
    public static readonly float BetaBound = (float)Math.Sqrt(BetaMin + Pedestal);

    /// <summary>Bound on the stored gamma: <c>sqrt(0 + Pedestal) = ReparamOffset</c>, as float32.</summary>
    public static readonly float GammaBound = (float)Math.Sqrt(Pedestal);

    private readonly Parameter beta;
    private readonly Parameter gamma;

    /// <summary>Creates a GDN (or IGDN) layer over <paramref name="channels"/> channels, initialised to gamma = 0.1 I, beta = 1.</summary>
    /// <param name="channels">Number of channels.</param>
    /// <param name="inverse">True for IGDN (multiply by the square root).</param>
    /// <param name="name">Module name.</param>
    public Gdn(long channels, bool inverse = false, string name = "GDN") : this(channels, inverse, simplified: false, name) { }

    /// <summary>Creates a GDN layer, or its simplified form (<c>|x|</c> and no root) when <paramref name="simplified"/>.</summary>
    /// <param name="channels">Number of channels.</param>
    /// <param name="inverse">True for the inverse (multiply).</param>
    /// <param name="simplified">True for <c>x / (beta + gamma |x|)</c>; the layer then also holds a one-element
    /// <c>simplified</c> buffer, so its weights cannot be loaded as a standard GDN by mistake.</param>
    /// <param name="name">Module name.</param>
    public Gdn(long channels, bool inverse, bool simplified, string name = "GDN") : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        Channels = channels;
        Inverse = inverse;
        using (no_grad())
        {
            // Stored values are the reparametrisation's init: sqrt(max(v + pedestal, pedestal)).
            using var b = ones(channels).add_(Pedestal).sqrt_();
            using var g = eye(channels).mul_(0.1).add_(Pedestal).sqrt_();
            beta = new Parameter(b.clone());
            gamma = new Parameter(g.clone());
        }
        register_parameter("beta", beta);
        register_parameter("gamma", gamma);
        Simplified = simplified;
        if (simplified) register_buffer(SimplifiedMarker, ones(1));
    }

    /// <summary>Name of the buffer that marks the simplified form in a state dict.</summary>
    public const string SimplifiedMarker = "simplified";

    /// <summary>True for the simplified form (<c>|x|</c>, no square root).</summary>
    public bool Simplified { get; }

    /// <summary>Number of channels.</summary>
    public long Channels { get; }

    /// <summary>True for IGDN.</summary>
    public bool Inverse { get; }

    /// <summary>The stored (reparametrised) beta, as in the official state_dict.</summary>
    public Parameter StoredBeta => beta;

    /// <summary>The stored (reparametrised) gamma, as in the official state_dict.</summary>
    public Parameter StoredGamma => gamma;

    /// <summary>The effective beta: <c>max(stored, BetaBound)^2 - Pedestal</c>.</summary>
    public Tensor EffectiveBeta() => Reparametrise(beta, BetaBound);

    /// <summary>The effective gamma [C, C]: <c>max(stored, GammaBound)^2 - Pedestal</c>.</summary>
    public Tensor EffectiveGamma() => Reparametrise(gamma, GammaBound);

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b = EffectiveBeta();
        var g = EffectiveGamma().reshape(Channels, Channels, 1, 1);
        if (Simplified)
        {
            var linear = nn.functional.conv2d(x.abs(), g, b);
            return (Inverse ? x.mul(linear) : x.div(linear)).MoveToOuterDisposeScope();
        }
        var norm = nn.functional.conv2d(x.square(), g, b);
        norm = Inverse ? norm.sqrt() : norm.rsqrt();
        return x.mul(norm).MoveToOuterDisposeScope();
    }

    private static Tensor Reparametrise(Tensor stored, float bound)
    {
        using var scope = NewDisposeScope();
        return LowerBound.Apply(stored, bound).square().sub((float)Pedestal).MoveToOuterDisposeScope();
    }
}
