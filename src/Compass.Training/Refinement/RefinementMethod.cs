namespace Compass.Training.Refinement;

/// <summary>How <see cref="LatentRefiner"/> quantises the latents while it optimises them (the evaluation always rounds).</summary>
public enum RefinementMethod
{
    /// <summary>
    /// Stochastic Gumbel annealing (Yang, Bamler and Mandt 2020, "Improving Inference for Neural Image Compression"):
    /// each latent is a Gumbel-softmax mix of its floor and ceiling, weighted by <c>-atanh</c> of the distance, at a
    /// temperature that anneals from 0.5 to 0.01 over the run, so the last steps optimise nearly hard-rounded latents.
    /// </summary>
    Sga,

    /// <summary>Straight-through rounding: the forward pass uses the rounded latents, the gradient passes as if unrounded.</summary>
    Ste,
}
