using Compass.Evaluation;

namespace Compass.Evaluation.Tests;

public class BjontegaardTests
{
    // A smooth, concave RD curve (PSNR grows with log-rate, with diminishing returns).
    private static readonly RdPoint[] Curve = [new(0.2, 27.1), new(0.35, 29.4), new(0.6, 31.6), new(1.0, 33.5), new(1.5, 35.0)];

    private static RdPoint[] ScaleRates(IEnumerable<RdPoint> curve, double factor) => [.. curve.Select(p => p with { Bpp = p.Bpp * factor })];

    private static RdPoint[] Points(double[] rates, double[] psnr) => [.. rates.Zip(psnr, (r, p) => new RdPoint(r, p))];

    [Theory]
    [InlineData(BjontegaardMethod.Cubic)]
    [InlineData(BjontegaardMethod.Pchip)]
    public void RatesScaledByPointEightGiveMinusTwentyPercent(BjontegaardMethod method)
    {
        // log(0.8 r) = log r + log 0.8 at every PSNR: whatever the interpolation, the mean difference is log 0.8.
        Assert.Equal(-20.0, Bjontegaard.Rate(Curve, ScaleRates(Curve, 0.8), method), 9);
        Assert.Equal(25.0, Bjontegaard.Rate(ScaleRates(Curve, 0.8), Curve, method), 9);
        Assert.Equal(0.0, Bjontegaard.Rate(Curve, Curve, method), 12);
    }

    [Theory]
    [InlineData(BjontegaardMethod.Cubic)]
    [InlineData(BjontegaardMethod.Pchip)]
    public void PsnrShiftedByHalfADecibelGivesBdPsnrOfHalfADecibel(BjontegaardMethod method)
    {
        var shifted = Curve.Select(p => p with { Psnr = p.Psnr + 0.5 }).ToArray();
        Assert.Equal(0.5, Bjontegaard.Psnr(Curve, shifted, method), 9);
    }

    // Worked examples: the RD data of FAU-LMS/bjontegaard's example_usage.py (x265 presets), with the
    // answers of NumPy's polyfit/polyint (the classic VCEG-M33 script) and SciPy's PchipInterpolator.integrate
    // (what that package's 'pchip' method calls), computed with NumPy 1.24.2 / SciPy 1.10.1.
    public static TheoryData<double[], double[], double[], double[], double, double, double, double> Published => new()
    {
        {
            [9487.76, 4593.60, 2486.44, 1358.24], [40.037, 38.615, 36.845, 34.851],
            [9787.80, 4469.00, 2451.52, 1356.24], [40.121, 38.651, 36.970, 34.987],
            -4.420462706150, -4.417485350589, 0.120409419115, 0.119692785425
        },
        {
            [82472.76, 26875.24, 9487.76, 4593.6], [43.825, 41.404, 40.037, 38.615],
            [99896.96, 33952.04, 9787.8, 4469.0], [44.731, 41.875, 40.121, 38.651],
            -4.699437548600, -4.472182002762, 0.095404402891, 0.088874847047
        },
        {
            // Six points: the cubic is a least-squares fit, no longer an interpolation.
            [82472.76, 26875.24, 9487.76, 4593.6, 3600, 2900], [43.825, 41.404, 40.037, 38.615, 36.5, 35.1],
            [99896.96, 33952.04, 9787.8, 4469.0, 4040, 3300], [44.731, 41.875, 40.121, 38.651, 37, 36.5],
            -0.639288620848, -2.952802411643, 0.103580851551, 0.089535901950
        },
    };

    [Theory]
    [MemberData(nameof(Published))]
    public void MatchesNumPyAndSciPyOnTheFauExamples(double[] refRate, double[] refPsnr, double[] testRate, double[] testPsnr,
        double cubicRate, double pchipRate, double cubicPsnr, double pchipPsnr)
    {
        var reference = Points(refRate, refPsnr);
        var test = Points(testRate, testPsnr);
        Assert.Equal(cubicRate, Bjontegaard.Rate(reference, test, BjontegaardMethod.Cubic), 7);
        Assert.Equal(pchipRate, Bjontegaard.Rate(reference, test, BjontegaardMethod.Pchip), 7);
        Assert.Equal(cubicPsnr, Bjontegaard.Psnr(reference, test, BjontegaardMethod.Cubic), 7);
        Assert.Equal(pchipPsnr, Bjontegaard.Psnr(reference, test, BjontegaardMethod.Pchip), 7);
    }

    [Fact]
    public void CubicAndPchipAgreeOnSmoothCurves()
    {
        // Both curves sampled from PSNR = 10 + 8 log2(1 + 20 bpp)-like smooth laws; the test curve saves about 15%.
        static RdPoint At(double bpp, double gain) => new(bpp, 26 + 4.2 * Math.Log(bpp * gain / 0.2 + 0.3));
        var reference = new[] { 0.15, 0.3, 0.55, 0.9, 1.4 }.Select(r => At(r, 1.0)).ToArray();
        var test = new[] { 0.13, 0.26, 0.48, 0.8, 1.2 }.Select(r => At(r, 1.0 / 0.85)).ToArray();
        double cubic = Bjontegaard.Rate(reference, test, BjontegaardMethod.Cubic);
        double pchip = Bjontegaard.Rate(reference, test, BjontegaardMethod.Pchip);
        Assert.InRange(cubic, -16.5, -13.5);
        Assert.Equal(cubic, pchip, 0.5);
    }

    [Fact]
    public void PointOrderDoesNotMatter()
    {
        var shuffled = new[] { Curve[3], Curve[0], Curve[4], Curve[2], Curve[1] };
        var test = ScaleRates(Curve, 0.9).Select(p => p with { Psnr = p.Psnr + 0.1 }).ToArray();
        Assert.Equal(Bjontegaard.Rate(Curve, test), Bjontegaard.Rate(shuffled, test.Reverse().ToArray()), 12);
    }

    [Fact]
    public void TooFewPointsThrowNamingTheMethodAndCount()
    {
        var three = Curve[..3];
        var ex = Assert.Throws<ArgumentException>(() => Bjontegaard.Rate(three, Curve, BjontegaardMethod.Cubic));
        Assert.Contains("3 point(s)", ex.Message);
        Assert.Contains("at least 4", ex.Message);
        Assert.Equal("reference", ex.ParamName);
        // Pchip is fine with 3 points, not with 1.
        Assert.Equal(-20.0, Bjontegaard.Rate(three, ScaleRates(three, 0.8), BjontegaardMethod.Pchip), 9);
        Assert.Throws<ArgumentException>(() => Bjontegaard.Rate(Curve, Curve[..1], BjontegaardMethod.Pchip));
    }

    [Fact]
    public void NonMonotonicCurvesThrow()
    {
        var bent = Curve.ToArray();
        bent[2] = bent[2] with { Psnr = 26.0 }; // more bits, lower PSNR
        var ex = Assert.Throws<ArgumentException>(() => Bjontegaard.Rate(Curve, bent));
        Assert.Contains("not monotonic", ex.Message);
        Assert.Equal("test", ex.ParamName);
        var repeated = Curve.Append(Curve[1]).ToArray();
        Assert.Contains("not monotonic", Assert.Throws<ArgumentException>(() => Bjontegaard.Rate(repeated, Curve, BjontegaardMethod.Pchip)).Message);
    }

    [Fact]
    public void CurvesThatDoNotOverlapThrow()
    {
        var higher = Curve.Select(p => p with { Psnr = p.Psnr + 20 }).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => Bjontegaard.Rate(Curve, higher));
        Assert.Contains("do not overlap in PSNR", ex.Message);
        var richer = ScaleRates(Curve, 100);
        Assert.Contains("do not overlap in rate", Assert.Throws<ArgumentException>(() => Bjontegaard.Psnr(Curve, richer)).Message);
    }

    [Fact]
    public void NonPositiveRatesThrow()
    {
        var zero = Curve.ToArray();
        zero[0] = zero[0] with { Bpp = 0 };
        Assert.Contains("must be positive", Assert.Throws<ArgumentException>(() => Bjontegaard.Rate(zero, Curve)).Message);
    }

    [Fact]
    public void TryRateExplainsMissingPointsWithoutThrowing()
    {
        Assert.False(Bjontegaard.TryRate(Curve, Curve[..1], BjontegaardMethod.Cubic, out _, out string? reason));
        Assert.Equal("needs 4 rate points, has 1", reason);
        Assert.False(Bjontegaard.TryRate(Curve, Curve.Select(p => p with { Psnr = p.Psnr + 20 }).ToArray(), BjontegaardMethod.Cubic, out _, out reason));
        Assert.StartsWith("The curves do not overlap", reason);
        Assert.DoesNotContain("Parameter", reason);
        Assert.True(Bjontegaard.TryRate(Curve, ScaleRates(Curve, 0.8), BjontegaardMethod.Pchip, out double percent, out _));
        Assert.Equal(-20.0, percent, 9);
    }

    [Fact]
    public void ClassicAnchorsAreMonotonicAndCompareWithEachOther()
    {
        foreach (var anchor in ClassicCodecAnchors.All)
            Assert.True(anchor.Points.Zip(anchor.Points.Skip(1)).All(p => p.Second.Bpp > p.First.Bpp && p.Second.Psnr > p.First.Psnr), anchor.Name);
        // JPEG 2000 needs far fewer bits than JPEG on Kodak at equal PSNR; WebP sits in between.
        double j2k = ClassicCodecAnchors.BdRate(ClassicCodecAnchors.Jpeg, ClassicCodecAnchors.Jpeg2000.Points, BjontegaardMethod.Cubic, out _)!.Value;
        double webp = ClassicCodecAnchors.BdRate(ClassicCodecAnchors.Jpeg, ClassicCodecAnchors.WebP.Points, BjontegaardMethod.Cubic, out _)!.Value;
        Assert.InRange(j2k, -60, -25);
        Assert.InRange(webp, j2k, -10);
        Assert.Null(ClassicCodecAnchors.BdRate(ClassicCodecAnchors.Jpeg, [new RdPoint(0.5, 30)], BjontegaardMethod.Cubic, out string? reason));
        Assert.Equal("needs 4 rate points, has 1", reason);
    }
}
