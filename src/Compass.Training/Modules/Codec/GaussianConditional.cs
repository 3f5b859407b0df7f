using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// Gaussian conditional entropy model for y (CompressAI <c>GaussianConditional</c> semantics, without
/// parameters): likelihood <c>Phi((0.5 - |y - mu|) / sigma) - Phi((-0.5 - |y - mu|) / sigma)</c> with
/// <c>sigma &gt;= 0.11</c> and likelihood <c>&gt;= 1e-9</c>, both through <see cref="LowerBound"/>.
/// </summary>
public static class GaussianConditional
{
    /// <summary>Lower bound of the predicted scale.</summary>
    public const float ScaleBound = 0.11f;

    /// <summary>Lower bound applied to every likelihood.</summary>
    public const float LikelihoodBound = 1e-9f;

    /// <summary>
    /// Quantises <paramref name="y"/> and returns it with its likelihoods. Training: <c>y + U(-0.5, 0.5)</c>;
    /// eval: <c>round(y - mu) + mu</c>.
    /// </summary>
    /// <param name="y">Latent [B, M, H, W].</param>
    /// <param name="scales">Predicted scales (same shape).</param>
    /// <param name="means">Predicted means (same shape).</param>
    /// <param name="training">True for additive uniform noise, false for rounding around the means.</param>
    /// <param name="noise">Optional noise used instead of fresh uniform noise in training (for parity tests).</param>
    public static (Tensor YTilde, Tensor Likelihoods) Forward(Tensor y, Tensor scales, Tensor means, bool training, Tensor? noise = null)
    {
        using var scope = NewDisposeScope();
        var outputs = training
            ? y.add(noise ?? empty_like(y).uniform_(-0.5, 0.5))
            : Dequantize(y, means);
        var likelihood = Likelihood(outputs, scales, means);
        return (outputs.MoveToOuterDisposeScope(), likelihood.MoveToOuterDisposeScope());
    }

    /// <summary>Likelihood of <paramref name="values"/> under N(means, max(scales, 0.11)), bounded below by 1e-9.</summary>
    public static Tensor Likelihood(Tensor values, Tensor scales, Tensor means)
    {
        using var scope = NewDisposeScope();
        var v = values.sub(means).abs();
        var s = LowerBound.Apply(scales, ScaleBound);
        var upper = StandardCumulative(v.neg().add(0.5).div(s));
        var lower = StandardCumulative(v.neg().sub(0.5).div(s));
        return LowerBound.Apply(upper.sub(lower), LikelihoodBound).MoveToOuterDisposeScope();
    }

    /// <summary>The coded symbols <c>round(y - mu)</c> as int32.</summary>
    public static Tensor Symbols(Tensor y, Tensor means)
    {
        using var scope = NewDisposeScope();
        return y.sub(means).round().to_type(ScalarType.Int32).MoveToOuterDisposeScope();
    }

    /// <summary>The decoder's value <c>round(y - mu) + mu</c> (what decoding the symbols gives).</summary>
    public static Tensor Dequantize(Tensor y, Tensor means)
    {
        using var scope = NewDisposeScope();
        return y.sub(means).round().add(means).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The default scale table, <c>exp(linspace(log 0.11, log 256, 64))</c> in float32, as CompressAI's
    /// <c>get_scale_table()</c>. The coder's own table lives in Compass.Core; this copy checks imports and tests.
    /// </summary>
    internal static float[] DefaultScaleTable()
    {
        using var scope = NewDisposeScope();
        return linspace(Math.Log(0.11), Math.Log(256), 64, dtype: ScalarType.Float32).exp().data<float>().ToArray();
    }

    /// <summary>
    /// CompressAI's <c>build_indexes</c>: the index of the first table scale &gt;= max(scale, 0.11)
    /// (the last index when none is). Reference for tests only: the coder's index function lives in Compass.Core.
    /// </summary>
    internal static Tensor BuildIndexes(Tensor scales, float[] scaleTable)
    {
        using var scope = NewDisposeScope();
        var s = scales.clamp_min(ScaleBound);
        var indexes = full_like(s, scaleTable.Length - 1, dtype: ScalarType.Int32);
        for (int i = 0; i < scaleTable.Length - 1; i++)
            indexes = indexes.sub(s.le(scaleTable[i]).to_type(ScalarType.Int32));
        return indexes.MoveToOuterDisposeScope();
    }

    /// <summary>Standard normal CDF via erfc (precise in the lower tail): <c>0.5 * erfc(-x / sqrt 2)</c>.</summary>
    private static Tensor StandardCumulative(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.mul(-Math.Pow(2, -0.5)).erfc().mul(0.5).MoveToOuterDisposeScope();
    }
}
