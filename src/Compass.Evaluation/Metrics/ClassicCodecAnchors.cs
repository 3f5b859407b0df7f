namespace Compass.Evaluation;

/// <summary>A reference RD curve of a classic codec.</summary>
/// <param name="Name">Codec name, e.g. <c>JPEG 4:2:0</c>.</param>
/// <param name="Source">How and where it was measured.</param>
/// <param name="Points">Its RD points, lowest rate first.</param>
public sealed record AnchorCurve(string Name, string Source, IReadOnlyList<RdPoint> Points)
{
    /// <summary>
    /// PSNR of <paramref name="point"/> minus the curve's PSNR at the same rate (linear in log-rate between
    /// the measured points); null outside the measured range (no extrapolation). Positive: above the curve.
    /// </summary>
    public double? DbAtEqualRate(RdPoint point) =>
        Interpolate(Points.Select(p => (Math.Log(p.Bpp), p.Psnr)).ToArray(), Math.Log(point.Bpp)) is { } psnr ? point.Psnr - psnr : null;

    /// <summary>
    /// Rate of <paramref name="point"/> over the curve's rate at the same PSNR, minus 1, in percent (log-rate
    /// interpolated linearly in PSNR): the one-point form of a BD-rate, for a single model against this
    /// curve; null outside the measured range. Negative: fewer bits than the curve.
    /// </summary>
    public double? RatePercentAtEqualPsnr(RdPoint point) =>
        Interpolate(Points.Select(p => (p.Psnr, Math.Log(p.Bpp))).ToArray(), point.Psnr) is { } logRate ? 100 * (point.Bpp / Math.Exp(logRate) - 1) : null;

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

/// <summary>
/// Classic codecs on the 24 Kodak images at full resolution, measured on this project's machine (issue 6):
/// mean bpp and mean PSNR (RGB, 8-bit) over the images per encoder setting. They are the anchors of the
/// <c>single</c> setup, where the base codec is used as a single-layer codec.
/// </summary>
/// <remarks>These are means over all 24 images: a run on fewer images compares different image sets, so
/// its BD-rates against them are indicative only.</remarks>
public static class ClassicCodecAnchors
{
    /// <summary>JPEG with 4:2:0 chroma subsampling (libjpeg-turbo).</summary>
    public static AnchorCurve Jpeg { get; } = new("JPEG 4:2:0", "libjpeg-turbo, 4:2:0, Kodak 24 images, mean bpp / mean PSNR-RGB",
        [new(0.258, 26.66), new(0.450, 29.14), new(0.743, 31.42), new(1.005, 32.91), new(1.549, 35.37)]);

    /// <summary>JPEG 2000 (OpenJPEG).</summary>
    public static AnchorCurve Jpeg2000 { get; } = new("JPEG 2000", "OpenJPEG, Kodak 24 images, mean bpp / mean PSNR-RGB",
        [new(0.199, 28.48), new(0.349, 30.58), new(0.599, 33.07), new(0.999, 36.00)]);

    /// <summary>WebP (lossy).</summary>
    public static AnchorCurve WebP { get; } = new("WebP", "libwebp lossy, Kodak 24 images, mean bpp / mean PSNR-RGB",
        [new(0.274, 28.93), new(0.476, 31.23), new(0.719, 33.36), new(0.939, 34.87)]);

    /// <summary>All anchors: JPEG, JPEG 2000, WebP.</summary>
    public static IReadOnlyList<AnchorCurve> All { get; } = [Jpeg, Jpeg2000, WebP];

    /// <summary>
    /// BD-rate of <paramref name="curve"/> against <paramref name="anchor"/>, in percent (negative: fewer bits
    /// than the classic codec), or null with the reason when it cannot be computed (too few points, no overlap).
    /// </summary>
    /// <param name="anchor">The classic codec's curve.</param>
    /// <param name="curve">The curve to judge (e.g. the single-layer codec's mean points, one per model).</param>
    /// <param name="method">Interpolation method.</param>
    /// <param name="reason">Why the result is null.</param>
    public static double? BdRate(AnchorCurve anchor, IReadOnlyList<RdPoint> curve, BjontegaardMethod method, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        ArgumentNullException.ThrowIfNull(curve);
        return Bjontegaard.TryRate(anchor.Points, curve, method, out double percent, out reason) ? percent : null;
    }
}
