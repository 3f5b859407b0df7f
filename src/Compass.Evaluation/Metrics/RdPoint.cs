using System.Globalization;

namespace Compass.Evaluation;

/// <summary>One rate-distortion point: a rate in bits per pixel and a quality in dB (PSNR).</summary>
/// <param name="Bpp">Rate in bits per pixel; must be positive for BD metrics (they take its logarithm).</param>
/// <param name="Psnr">Quality: PSNR in dB.</param>
public readonly record struct RdPoint(double Bpp, double Psnr)
{
    /// <summary>The compact text form, e.g. <c>0.4500 bpp / 29.14 dB</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Bpp:0.0000} bpp / {Psnr:0.00} dB");
}
