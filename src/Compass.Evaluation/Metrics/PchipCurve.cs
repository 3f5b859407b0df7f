namespace Compass.Evaluation;

/// <summary>
/// Piecewise cubic Hermite interpolation through points with strictly increasing x, with the
/// shape-preserving slopes of SciPy's <c>PchipInterpolator</c>: a weighted harmonic mean of the adjacent
/// secants inside (zero at a local extremum), a one-sided three-point formula at the ends.
/// </summary>
internal sealed class PchipCurve
{
    private readonly double[] _x, _y, _d;

    public PchipCurve(double[] x, double[] y)
    {
        _x = x;
        _y = y;
        _d = Slopes(x, y);
    }

    /// <summary>The interpolated value at <paramref name="x"/> (inside the points' range).</summary>
    public double Evaluate(double x)
    {
        int k = Segment(x);
        double h = _x[k + 1] - _x[k], t = (x - _x[k]) / h, t2 = t * t, t3 = t2 * t;
        return (2 * t3 - 3 * t2 + 1) * _y[k] + (t3 - 2 * t2 + t) * h * _d[k]
             + (-2 * t3 + 3 * t2) * _y[k + 1] + (t3 - t2) * h * _d[k + 1];
    }

    /// <summary>The exact integral from <paramref name="a"/> to <paramref name="b"/>, both inside the points' range.</summary>
    /// <remarks>Simpson's rule on each piece: exact for cubics.</remarks>
    public double Integrate(double a, double b)
    {
        double sum = 0;
        for (int k = 0; k < _x.Length - 1; k++)
        {
            double lo = Math.Max(a, _x[k]), hi = Math.Min(b, _x[k + 1]);
            if (hi <= lo) continue;
            sum += (hi - lo) / 6 * (EvaluateOn(k, lo) + 4 * EvaluateOn(k, (lo + hi) / 2) + EvaluateOn(k, hi));
        }
        return sum;
    }

    private double EvaluateOn(int k, double x)
    {
        double h = _x[k + 1] - _x[k], t = (x - _x[k]) / h, t2 = t * t, t3 = t2 * t;
        return (2 * t3 - 3 * t2 + 1) * _y[k] + (t3 - 2 * t2 + t) * h * _d[k]
             + (-2 * t3 + 3 * t2) * _y[k + 1] + (t3 - t2) * h * _d[k + 1];
    }

    private int Segment(double x)
    {
        int k = Array.BinarySearch(_x, x);
        if (k < 0) k = ~k - 1;
        return Math.Clamp(k, 0, _x.Length - 2);
    }

    private static double[] Slopes(double[] x, double[] y)
    {
        int n = x.Length;
        var h = new double[n - 1];
        var m = new double[n - 1];
        for (int k = 0; k < n - 1; k++)
        {
            h[k] = x[k + 1] - x[k];
            m[k] = (y[k + 1] - y[k]) / h[k];
        }
        var d = new double[n];
        if (n == 2)
        {
            d[0] = d[1] = m[0];
            return d;
        }
        for (int k = 1; k < n - 1; k++)
        {
            if (Math.Sign(m[k]) != Math.Sign(m[k - 1]) || m[k] == 0 || m[k - 1] == 0)
            {
                d[k] = 0;
                continue;
            }
            double w1 = 2 * h[k] + h[k - 1], w2 = h[k] + 2 * h[k - 1];
            d[k] = (w1 + w2) / (w1 / m[k - 1] + w2 / m[k]);
        }
        d[0] = Edge(h[0], h[1], m[0], m[1]);
        d[n - 1] = Edge(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
        return d;
    }

    private static double Edge(double h0, double h1, double m0, double m1)
    {
        double d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
        if (Math.Sign(d) != Math.Sign(m0)) return 0;
        if (Math.Sign(m0) != Math.Sign(m1) && Math.Abs(d) > 3 * Math.Abs(m0)) return 3 * m0;
        return d;
    }
}
