namespace Compass.Training.Modules;

/// <summary>The nonlinearity between the convolutions of a codec's analysis and synthesis transforms.</summary>
public enum CodecNonlinearity
{
    /// <summary>GDN / IGDN (Balle et al.), as the paper and CompressAI: <c>x / sqrt(beta + gamma x^2)</c>.</summary>
    Gdn,

    /// <summary>Simplified GDN (Johnston et al. 2019): <c>x / (beta + gamma |x|)</c>, no square and no root.</summary>
    SimplifiedGdn,

    /// <summary>ReLU: no normalisation at all (the cheapest).</summary>
    Relu,
}
