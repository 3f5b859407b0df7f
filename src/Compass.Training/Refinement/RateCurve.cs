namespace Compass.Training.Refinement;

/// <summary>
/// A rate-distortion curve of points (bpp, PSNR), interpolated linearly in log-bpp: the reference the refined points
/// are compared with at equal rate (dB) and at equal quality (bits).
/// </summary>
public sealed class RateCurve
{
    private readonly (double LogBpp, double Psnr)[] _points;

    /// <summary>Creates the curve; at least two points, with distinct positive rates and PSNR increasing with rate.</summary>
    /// <exception cref="ArgumentException">Fewer than two points, a rate that is not positive, or a curve that is not increasing.</exception>
    public RateCurve(IEnumerable<(double Bpp, double Psnr)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var list = points.OrderBy(p => p.Bpp).ToArray();
        if (list.Length < 2) throw new ArgumentException("A rate curve needs at least two points.", nameof(points));
        if (list.Any(p => !(p.Bpp > 0 && double.IsFinite(p.Bpp) && double.IsFinite(p.Psnr))))
            throw new ArgumentException("Every point needs a positive rate and a finite PSNR.", nameof(points));
        for (int i = 1; i < list.Length; i++)
            if (!(list[i].Bpp > list[i - 1].Bpp && list[i].Psnr > list[i - 1].Psnr))
                throw new ArgumentException("The curve's PSNR must increase with its rate.", nameof(points));
        _points = [.. list.Select(p => (Math.Log(p.Bpp), p.Psnr))];
    }

    /// <summary>The curve's PSNR at <paramref name="bpp"/>, or NaN outside its rate range.</summary>
    public double PsnrAt(double bpp)
    {
        double x = Math.Log(bpp);
        for (int i = 1; i < _points.Length; i++)
        {
            var (a, b) = (_points[i - 1], _points[i]);
            if (x >= a.LogBpp && x <= b.LogBpp) return a.Psnr + ((x - a.LogBpp) / (b.LogBpp - a.LogBpp) * (b.Psnr - a.Psnr));
        }
        return double.NaN;
    }

    /// <summary>The curve's rate at <paramref name="psnr"/>, or NaN outside its PSNR range.</summary>
    public double BppAt(double psnr)
    {
        for (int i = 1; i < _points.Length; i++)
        {
            var (a, b) = (_points[i - 1], _points[i]);
            if (psnr >= a.Psnr && psnr <= b.Psnr) return Math.Exp(a.LogBpp + ((psnr - a.Psnr) / (b.Psnr - a.Psnr) * (b.LogBpp - a.LogBpp)));
        }
        return double.NaN;
    }
}
