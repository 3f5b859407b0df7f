// TEMP stub: the real OnnxCompassModel comes from the `export` branch; drop this file at merge.
using Compass.Pipeline;

namespace Compass.Onnx;

/// <summary>TEMPORARY stub of the ONNX Runtime model set (the real one is on the export branch).</summary>
public sealed class OnnxCompassModel : CompassModel
{
    private OnnxCompassModel() { }

    /// <summary>Loads a model bundle (folder or zip) or a folder of bundles.</summary>
    /// <param name="path">Bundle path.</param>
    /// <param name="options">Runtime options.</param>
    public static OnnxCompassModel Load(string path, OnnxRuntimeOptions? options = null) => throw NotYet();

    /// <summary>Loads several model bundles, one per quality.</summary>
    /// <param name="paths">Bundle paths.</param>
    /// <param name="options">Runtime options.</param>
    public static OnnxCompassModel Load(IEnumerable<string> paths, OnnxRuntimeOptions? options = null) => throw NotYet();

    /// <summary>Loads the embedded default model.</summary>
    /// <param name="options">Runtime options.</param>
    public static OnnxCompassModel LoadDefault(OnnxRuntimeOptions? options = null) =>
        throw new InvalidOperationException("No default model is embedded in this build of Compass.Onnx (stub).");

    /// <summary>The provider the sessions run on.</summary>
    public ExecutionProvider ActiveProvider => throw NotYet();

    /// <inheritdoc />
    public override IReadOnlyList<int> Qualities => throw NotYet();

    /// <inheritdoc />
    public override string Description => throw NotYet();

    internal override ICompassNetworks GetNetworks(int quality) => throw NotYet();

    private static NotImplementedException NotYet() => new("OnnxCompassModel is a stub on this branch; the export branch provides it.");
}
