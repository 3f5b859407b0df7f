namespace Compass.Training.Cli.Recipes;

/// <summary>
/// A classic codec's Kodak curve measured on this machine (issue 9: mean bpp / mean PSNR-RGB over the 24
/// images), and where one RD point lies relative to it.
/// </summary>
internal sealed record AnchorCurve(string Name, (double Bpp, double Psnr)[] Points)
{
    public static readonly AnchorCurve Jpeg = new("jpeg-420", [(0.258, 26.66), (0.450, 29.14), (0.743, 31.42), (1.005, 32.91), (1.549, 35.37)]);
    public static readonly AnchorCurve Jpeg2000 = new("jpeg2000", [(0.199, 28.48), (0.349, 30.58), (0.599, 33.07), (0.999, 36.00)]);
    public static readonly AnchorCurve WebP = new("webp", [(0.274, 28.93), (0.476, 31.23), (0.719, 33.36), (0.939, 34.87)]);
    public static readonly AnchorCurve[] All = [Jpeg, Jpeg2000, WebP];

    /// <summary>
    /// PSNR of the point minus the curve's PSNR at the same rate (linear in log-rate between the measured
    /// points); null outside the measured range. Positive: the point is above the curve.
    /// </summary>
    public double? DbAtEqualRate(double bpp, double psnr) =>
        Interpolate(Points.Select(p => (Math.Log(p.Bpp), p.Psnr)).ToArray(), Math.Log(bpp)) is { } anchor ? psnr - anchor : null;

    /// <summary>
    /// Rate of the point over the curve's rate at the same PSNR, minus 1, in percent (linear interpolation of
    /// log-rate against PSNR: the one-point form of a BD-rate); null outside the range. Negative: fewer bits.
    /// </summary>
    public double? RatePercentAtEqualPsnr(double bpp, double psnr) =>
        Interpolate(Points.Select(p => (p.Psnr, Math.Log(p.Bpp))).ToArray(), psnr) is { } logRate ? 100 * (bpp / Math.Exp(logRate) - 1) : null;

    private static double? Interpolate((double X, double Y)[] curve, double x)
    {
        for (int i = 1; i < curve.Length; i++)
        {
            var (x0, y0) = curve[i - 1];
            var (x1, y1) = curve[i];
            if (x >= x0 && x <= x1) return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
        return null;
    }
}
