namespace Compass;

/// <summary>
/// Diagnostic ids of the experimental parts of the public API (<see cref="System.Diagnostics.CodeAnalysis.ExperimentalAttribute"/>).
/// Using them is a compile error until the caller opts in (<c>&lt;NoWarn&gt;$(NoWarn);COMPASS001&lt;/NoWarn&gt;</c>):
/// they may change in any release.
/// </summary>
public static class ExperimentalApis
{
    /// <summary>
    /// COMPASS001: the backend interface, the types a Compass backend (such as Compass.Onnx) implements and reads to
    /// run the networks (<see cref="Pipeline.ICompassNetworks"/>, its tensors and tables, the model bundle's file names and
    /// config). Applications use <see cref="CompassModel"/>, <see cref="ScalableEncoder"/> and <see cref="ScalableDecoder"/> instead.
    /// </summary>
    public const string Backend = "COMPASS001";
}
