namespace Compass.Evaluation;

/// <summary>
/// A least-squares cubic polynomial y(x), fitted in a centred and scaled variable t = (x - c) / s so that
/// the normal equations stay well conditioned (PSNR values near 30 would otherwise be cubed to 27000).
/// </summary>
internal sealed class CubicFit
{
    private readonly double _center, _scale;
    private readonly double[] _coefficients; // a0 + a1 t + a2 t^2 + a3 t^3

    private CubicFit(double center, double scale, double[] coefficients)
    {
        _center = center;
        _scale = scale;
        _coefficients = coefficients;
    }

    /// <summary>Fits y(x) through at least 4 points with distinct x.</summary>
    public static CubicFit Fit(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length;
        double center = 0;
        foreach (double v in x) center += v;
        center /= n;
        double scale = 0;
        foreach (double v in x) scale = Math.Max(scale, Math.Abs(v - center));

        // Normal equations A^T A a = A^T y with A the Vandermonde matrix in t.
        var m = new double[4, 5];
        for (int i = 0; i < n; i++)
        {
            double t = (x[i] - center) / scale;
            Span<double> powers = [1, t, t * t, t * t * t];
            for (int r = 0; r < 4; r++)
            {
                for (int c = 0; c < 4; c++) m[r, c] += powers[r] * powers[c];
                m[r, 4] += powers[r] * y[i];
            }
        }
        return new CubicFit(center, scale, Solve4(m));
    }

    /// <summary>The fitted value at <paramref name="x"/>.</summary>
    public double Evaluate(double x)
    {
        double t = (x - _center) / _scale;
        return _coefficients[0] + t * (_coefficients[1] + t * (_coefficients[2] + t * _coefficients[3]));
    }

    /// <summary>The exact integral of the polynomial from <paramref name="a"/> to <paramref name="b"/>.</summary>
    public double Integrate(double a, double b) => _scale * (Antiderivative((b - _center) / _scale) - Antiderivative((a - _center) / _scale));

    private double Antiderivative(double t) =>
        t * (_coefficients[0] + t * (_coefficients[1] / 2 + t * (_coefficients[2] / 3 + t * _coefficients[3] / 4)));

    // Gaussian elimination with partial pivoting on the 4 x 5 augmented matrix.
    private static double[] Solve4(double[,] m)
    {
        for (int col = 0; col < 4; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 4; r++)
                if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col])) pivot = r;
            if (m[pivot, col] == 0)
                throw new ArgumentException("The cubic fit is singular: the curve needs at least 4 points with distinct values.");
            if (pivot != col)
                for (int c = 0; c < 5; c++) (m[col, c], m[pivot, c]) = (m[pivot, c], m[col, c]);
            for (int r = col + 1; r < 4; r++)
            {
                double f = m[r, col] / m[col, col];
                for (int c = col; c < 5; c++) m[r, c] -= f * m[col, c];
            }
        }
        var a = new double[4];
        for (int r = 3; r >= 0; r--)
        {
            double sum = m[r, 4];
            for (int c = r + 1; c < 4; c++) sum -= m[r, c] * a[c];
            a[r] = sum / m[r, r];
        }
        return a;
    }
}
