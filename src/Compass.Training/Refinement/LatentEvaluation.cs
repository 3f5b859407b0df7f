namespace Compass.Training.Refinement;

/// <summary>
/// The latents of one image measured as the decoder would see them: hard-rounded (y around its means, z around the
/// medians), the rate from the discrete likelihoods, the quality from the synthesis rounded to 8-bit RGB.
/// </summary>
/// <param name="Steps">Optimisation steps taken before this evaluation (0: the analysis transform's latents).</param>
/// <param name="Bpp">Bits of y and z over the image's pixels (<c>-log2</c> of the likelihoods; the real stream adds its header and the coder's overhead).</param>
/// <param name="BppY">The y part of <paramref name="Bpp"/>.</param>
/// <param name="BppZ">The z part of <paramref name="Bpp"/>.</param>
/// <param name="Psnr">PSNR in dB (peak 255) of the reconstruction clamped and rounded to 8 bits, over the three RGB channels.</param>
/// <param name="Loss">The training objective on these latents: <c>Bpp + lambda * 255^2 * MSE</c>, MSE of the unclamped float reconstruction on [0, 1].</param>
/// <param name="Seconds">Wall time of the optimisation steps so far (evaluations excluded).</param>
public sealed record LatentEvaluation(int Steps, double Bpp, double BppY, double BppZ, double Psnr, double Loss, double Seconds);
