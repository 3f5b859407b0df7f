namespace Compass.Evaluation;

/// <summary>How <see cref="Bjontegaard"/> interpolates an RD curve between its points.</summary>
public enum BjontegaardMethod
{
    /// <summary>
    /// The classic method (Bjontegaard, VCEG-M33, 2001): one cubic polynomial fitted by least squares to
    /// the whole curve (exact through 4 points). Needs at least 4 points. What most papers, including
    /// COMPASS, report.
    /// </summary>
    Cubic = 0,

    /// <summary>
    /// Piecewise cubic Hermite interpolation (pchip, Fritsch-Carlson/Butland slopes as SciPy's
    /// <c>PchipInterpolator</c>), the method of the JCT-VC/JVET common-test-conditions sheets: it never
    /// overshoots between points, so it stays sane where a single cubic wiggles. Needs at least 2 points.
    /// </summary>
    Pchip = 1,
}
