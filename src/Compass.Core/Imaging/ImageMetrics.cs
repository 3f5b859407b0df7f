using System.Runtime.CompilerServices;

namespace Compass.Imaging;

/// <summary>
/// Distortion measures of the evaluation protocol: MSE and PSNR over the three RGB channels of
/// 8-bit images (peak 255).
/// </summary>
/// <remarks>
/// Identical images have MSE 0 and PSNR <see cref="double.PositiveInfinity"/> (no epsilon is added;
/// the official code adds 1e-8 to the [0,1] MSE, which caps its PSNR at 80 dB). Averages over a data
/// set should therefore average finite values or report the infinite case separately.
/// </remarks>
public static class ImageMetrics
{
    /// <summary>
    /// Mean squared error in squared 8-bit levels between the 8-bit quantisations of two images
    /// (each value clamped to [0, 1] and rounded as <see cref="PlanarImage.Quantize"/> does).
    /// </summary>
    /// <param name="a">First image.</param>
    /// <param name="b">Second image, same size.</param>
    public static double Mse(PlanarImage a, PlanarImage b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckSameSize(a.Width, a.Height, b.Width, b.Height);
        return (double)QuantizedSquaredError(a.Data, b.Data) / a.Data.Length;
    }

    /// <summary>
    /// Mean squared error in squared 8-bit levels over the red, green and blue channels of two 8-bit images
    /// (alpha is ignored; the layouts may differ).
    /// </summary>
    /// <param name="a">First image.</param>
    /// <param name="b">Second image, same size.</param>
    public static double Mse(PixelBuffer a, PixelBuffer b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckSameSize(a.Width, a.Height, b.Width, b.Height);
        var (ar, ag, ab) = PixelBuffer.ChannelOffsets(a.Layout);
        var (br, bg, bb) = PixelBuffer.ChannelOffsets(b.Layout);
        int abpp = a.BytesPerPixel, bbpp = b.BytesPerPixel;
        long sum = 0;
        for (int y = 0; y < a.Height; y++)
            sum += RowSquaredError(a.GetRow(y), b.GetRow(y), a.Width, abpp, ar, ag, ab, bbpp, br, bg, bb);
        return (double)sum / (3.0 * a.Width * a.Height);
    }

    /// <summary>
    /// PSNR in dB of the 8-bit quantisations of two images: 10 log10(255^2 / MSE);
    /// <see cref="double.PositiveInfinity"/> when they are identical.
    /// </summary>
    /// <param name="a">First image (e.g. the reconstruction; it is clamped, so it may be unclamped here).</param>
    /// <param name="b">Second image (e.g. the ground truth), same size.</param>
    public static double Psnr(PlanarImage a, PlanarImage b) => PsnrFromMse(Mse(a, b), 255.0);

    /// <summary>
    /// PSNR in dB over the red, green and blue channels of two 8-bit images (peak 255);
    /// <see cref="double.PositiveInfinity"/> when identical.
    /// </summary>
    /// <param name="a">First image.</param>
    /// <param name="b">Second image, same size.</param>
    public static double Psnr(PixelBuffer a, PixelBuffer b) => PsnrFromMse(Mse(a, b), 255.0);

    /// <summary>
    /// PSNR in dB as the official COMPASS evaluation computes it: both images clamped to [0, 1] but not
    /// quantised, peak 1, but without its 1e-8 epsilon (<see cref="double.PositiveInfinity"/> when identical).
    /// Use it only to compare with published numbers; <see cref="Psnr(PlanarImage, PlanarImage)"/> is the
    /// protocol of this project.
    /// </summary>
    /// <param name="a">First image.</param>
    /// <param name="b">Second image, same size.</param>
    public static double PsnrUnquantized(PlanarImage a, PlanarImage b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckSameSize(a.Width, a.Height, b.Width, b.Height);
        float[] x = a.Data, y = b.Data;
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double d = (double)Clamp01(x[i]) - Clamp01(y[i]);
            sum += d * d;
        }
        return PsnrFromMse(sum / x.Length, 1.0);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long QuantizedSquaredError(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        long sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int d = PlanarImage.Quantize(x[i]) - PlanarImage.Quantize(y[i]);
            sum += d * d;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long RowSquaredError(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int width,
        int abpp, int ar, int ag, int ab, int bbpp, int br, int bg, int bb)
    {
        long sum = 0;
        for (int x = 0, p = 0, q = 0; x < width; x++, p += abpp, q += bbpp)
        {
            int dr = a[p + ar] - b[q + br], dg = a[p + ag] - b[q + bg], db = a[p + ab] - b[q + bb];
            sum += dr * dr + dg * dg + db * db;
        }
        return sum;
    }

    private static double PsnrFromMse(double mse, double peak) =>
        mse == 0 ? double.PositiveInfinity : 10.0 * Math.Log10(peak * peak / mse);

    private static float Clamp01(float v) => v > 0f ? (v < 1f ? v : 1f) : 0f;

    private static void CheckSameSize(int wa, int ha, int wb, int hb)
    {
        if (wa != wb || ha != hb)
            throw new ArgumentException($"Images differ in size: {wa}x{ha} vs {wb}x{hb}.");
    }
}
