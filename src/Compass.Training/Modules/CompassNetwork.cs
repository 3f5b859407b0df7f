using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// The whole COMPASS model (docs/method.md#enhancement-layers): a base-layer codec, one LIFF predictor and one residual
/// codec shared by every enhancement layer, so any number of layers runs through the same three children.
/// </summary>
/// <remarks>
/// Children are registered as <c>base</c>, <c>liff</c> and <c>residual</c>: every state_dict key starts with
/// one of those prefixes (the exporter builds its graphs from them). <see cref="Forward(IReadOnlyList{Tensor}, bool, double?)"/> is the training
/// recursion; the base layer is always run with the decoder's rounding and without gradients (it is
/// trained on its own first, then frozen).
/// </remarks>
public sealed class CompassNetwork : nn.Module
{
    private readonly MeanScaleHyperprior _base;
    private readonly Liff _liff;
    private readonly MeanScaleHyperprior _residual;

    /// <summary>Creates the network with the sizes of <paramref name="preset"/> (PyTorch default initialisation).</summary>
    public CompassNetwork(CompassPreset preset) : this(preset, null, 0) { }

    /// <summary>
    /// Creates the network with a variable-rate base-layer codec (levels of <paramref name="baseRateQualities"/>,
    /// see <see cref="MeanScaleHyperprior(int, int, IReadOnlyList{double}, double, CodecNonlinearity, string)"/>); null or empty: single-rate.
    /// </summary>
    public CompassNetwork(CompassPreset preset, IReadOnlyList<double>? baseRateQualities, double referenceQuality)
        : this(preset, baseRateQualities, null, referenceQuality) { }

    /// <summary>
    /// Creates the network with variable-rate codecs (docs/method.md#variable-rate): the base codec with the levels of
    /// <paramref name="baseRateQualities"/>, the residual codec with those of <paramref name="residualRateQualities"/>
    /// (null or empty: that codec is single-rate). Every level starts at the step
    /// <c>exp(0.5 ln(lambda_ref / lambda_q))</c> of <paramref name="referenceQuality"/>, so a single-rate codec
    /// trained at the reference quality is exactly its reference level.
    /// </summary>
    /// <exception cref="ArgumentException">Both codecs are variable-rate with different levels, or the reference is not a level.</exception>
    public CompassNetwork(CompassPreset preset, IReadOnlyList<double>? baseRateQualities, IReadOnlyList<double>? residualRateQualities, double referenceQuality)
        : base("CompassNetwork")
    {
        ArgumentNullException.ThrowIfNull(preset);
        // One quality drives both codecs of a batch (CompassNetwork.Forward), so they must share their levels.
        if (baseRateQualities is { Count: > 0 } && residualRateQualities is { Count: > 0 } && !baseRateQualities.SequenceEqual(residualRateQualities))
            throw new ArgumentException(
                $"The base codec's levels ({string.Join(", ", baseRateQualities.Select(RateLadder.Format))}) and the residual codec's ({string.Join(", ", residualRateQualities.Select(RateLadder.Format))}) differ.",
                nameof(residualRateQualities));
        Preset = preset;
        _base = new MeanScaleHyperprior(preset.BaseN, preset.BaseM, baseRateQualities, referenceQuality, preset.Nonlinearity);
        _liff = new Liff(preset.Liff);
        _residual = new MeanScaleHyperprior(preset.ResidualN, preset.ResidualM, residualRateQualities, referenceQuality, preset.Nonlinearity);
        register_module("base", _base);
        register_module("liff", _liff);
        register_module("residual", _residual);
    }

    /// <summary>Names of the three children, which are also the state_dict key prefixes.</summary>
    public static IReadOnlyList<string> ChildNames { get; } = ["base", "liff", "residual"];

    /// <summary>The sizes this network was built with.</summary>
    public CompassPreset Preset { get; }

    /// <summary>The base-layer codec (child <c>base</c>).</summary>
    public MeanScaleHyperprior Base => _base;

    /// <summary>The shared enhancement-layer predictor (child <c>liff</c>).</summary>
    public Liff Liff => _liff;

    /// <summary>The shared residual codec (child <c>residual</c>).</summary>
    public MeanScaleHyperprior Residual => _residual;

    /// <summary>The child called <paramref name="name"/> (<c>base</c>, <c>liff</c> or <c>residual</c>).</summary>
    public nn.Module Child(string name) => name switch
    {
        "base" => _base,
        "liff" => _liff,
        "residual" => _residual,
        _ => throw new ArgumentException($"No child '{name}'; expected base, liff or residual.", nameof(name)),
    };

    /// <summary>
    /// The COMPASS recursion over <paramref name="layers"/> (base layer first, each [B, 3, H_k, W_k] in [0, 1]):
    /// R_0 from the frozen base codec (rounding, no gradient), then for every enhancement layer
    /// P_k = LIFF(R_(k-1)), r_k = I_k - P_k coded by the residual codec and R_k = P_k + r̂_k, not clamped.
    /// </summary>
    /// <param name="layers">The layer images, smallest first; at least one.</param>
    /// <param name="training">Residual codec with uniform noise for the rates (true) or rounding (false).</param>
    /// <returns>Per-layer rate (bits of y and z per pixel of that layer), MSE and reconstruction, all differentiable for k &gt;= 1.</returns>
    public CompassForwardResult Forward(IReadOnlyList<Tensor> layers, bool training) => Forward(layers, training, null);

    /// <summary>
    /// As <see cref="Forward(IReadOnlyList{Tensor}, bool)"/> at the level of <paramref name="quality"/>: each
    /// variable-rate codec codes at that level's step (a single-rate codec at its one rate).
    /// </summary>
    /// <param name="layers">The layer images, smallest first; at least one.</param>
    /// <param name="training">Residual codec with uniform noise for the rates (true) or rounding (false).</param>
    /// <param name="quality">The level of the variable-rate codecs; null when both are single-rate.</param>
    /// <exception cref="ArgumentException">A variable-rate codec has no level of that quality.</exception>
    /// <exception cref="InvalidOperationException">A codec is variable-rate and no quality was given.</exception>
    public CompassForwardResult Forward(IReadOnlyList<Tensor> layers, bool training, double? quality)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("At least one layer (the base layer).", nameof(layers));
        var results = new List<LayerResult>(layers.Count);
        using var scope = NewDisposeScope();

        Tensor reconstruction;
        using (no_grad())
        {
            using var bl = CodeAt(_base, layers[0], training: false, quality);
            reconstruction = bl.XHat.detach();
            results.Add(new LayerResult(Rate(bl, layers[0]), MseOf(reconstruction, layers[0]), reconstruction));
        }
        for (int k = 1; k < layers.Count; k++)
        {
            var target = layers[k];
            var prediction = _liff.Predict(reconstruction, (int)target.shape[2], (int)target.shape[3]);
            var coded = CodeAt(_residual, target - prediction, training, quality);
            reconstruction = prediction + coded.XHat;
            results.Add(new LayerResult(Rate(coded, target), MseOf(reconstruction, target), reconstruction));
        }
        foreach (var r in results) r.MoveToOuterDisposeScope();
        return new CompassForwardResult(results);
    }

    /// <summary>One pass of <paramref name="codec"/>, at the level of <paramref name="quality"/> when it is variable-rate.</summary>
    internal static CodecForwardResult CodeAt(MeanScaleHyperprior codec, Tensor x, bool training, double? quality) =>
        codec.IsVariableRate && quality is { } q ? codec.Forward(x, training, q) : codec.Forward(x, training);

    /// <summary>Bits of y and z of one codec pass divided by the pixels of the layer (batch included).</summary>
    internal static Tensor Rate(CodecForwardResult coded, Tensor layer)
    {
        double pixels = layer.shape[0] * layer.shape[2] * layer.shape[3];
        var bits = coded.YLikelihoods.log2().sum() + coded.ZLikelihoods.log2().sum();
        return bits.neg().div(pixels);
    }

    internal static Tensor MseOf(Tensor reconstruction, Tensor target) => (reconstruction - target).square().mean();
}

/// <summary>One layer of a <see cref="CompassForwardResult"/>.</summary>
/// <param name="Rate">Bits per pixel of this layer (scalar).</param>
/// <param name="Mse">Mean squared error of the unclamped reconstruction on [0, 1] (scalar).</param>
/// <param name="Reconstruction">R_k [B, 3, H_k, W_k], unclamped.</param>
public sealed record LayerResult(Tensor Rate, Tensor Mse, Tensor Reconstruction) : IDisposable
{
    internal void MoveToOuterDisposeScope()
    {
        Rate.MoveToOuterDisposeScope();
        Mse.MoveToOuterDisposeScope();
        Reconstruction.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Rate.Dispose();
        Mse.Dispose();
        Reconstruction.Dispose();
    }
}

/// <summary>The outputs of <see cref="CompassNetwork.Forward(IReadOnlyList{Tensor}, bool)"/>: index 0 is the base layer.</summary>
/// <param name="Layers">Per-layer results, base layer first.</param>
public sealed record CompassForwardResult(IReadOnlyList<LayerResult> Layers) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
    }
}
