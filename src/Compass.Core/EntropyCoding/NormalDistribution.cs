namespace Compass.EntropyCoding;

/// <summary>
/// The standard normal distribution in double precision (erfc, CDF, quantile). It is used at
/// table-build time only; relative accuracy is about 1e-14, enough for results rounded to float32
/// to be correctly rounded except on rare exact ties.
/// </summary>
internal static class NormalDistribution
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double OneOverSqrtPi = 0.5641895835477563;

    /// <summary>The complementary error function.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 0) return 2.0 - Erfc(-x);
        if (x < 2.0) return 1.0 - ErfSeries(x);
        if (x > 27.3) return 0.0; // below the smallest double
        return ErfcContinuedFraction(x);
    }

    /// <summary>Phi(x) = P(X &lt;= x) for X ~ N(0, 1).</summary>
    public static double Cdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2.0));

    /// <summary>The inverse of <see cref="Cdf"/> for p in (0, 1).</summary>
    public static double Quantile(double p)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Probability must lie in (0, 1).");
        if (p > 0.5) return -Quantile(1 - p);
        // Start from the leading terms of the tail expansion, then Newton steps on Phi(x) - p.
        double t = Math.Sqrt(-2.0 * Math.Log(p));
        double x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
        for (int i = 0; i < 50; i++)
        {
            double density = Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
            double step = (Cdf(x) - p) / density;
            x -= step;
            if (Math.Abs(step) <= 1e-16 * Math.Max(1.0, Math.Abs(x))) break;
        }
        return x;
    }

    // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)); all terms positive, so no cancellation.
    private static double ErfSeries(double x)
    {
        double x2 = x * x;
        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        return TwoOverSqrtPi * Math.Exp(-x2) * sum;
    }

    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated with Lentz's method.
    private static double ErfcContinuedFraction(double x)
    {
        const double tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0;
        for (int k = 1; k < 500; k++)
        {
            double a = k * 0.5;
            d = x + a * d;
            d = Math.Abs(d) < tiny ? 1 / tiny : 1 / d;
            c = x + a / c;
            if (Math.Abs(c) < tiny) c = tiny;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return OneOverSqrtPi * Math.Exp(-x * x) / f;
    }
}
