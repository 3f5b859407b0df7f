using System.Diagnostics.CodeAnalysis;
using Compass.Determinism;
using Compass.EntropyCoding;

namespace Compass.Pipeline;

/// <summary>
/// The entropy-coding side of one mean-scale codec, exported with its networks: per-channel tables and
/// medians of the factorised prior for z, the Gaussian tables for y and the scale-to-table index function.
/// </summary>
[Experimental(ExperimentalApis.Backend)]
public sealed class CodecTables
{
    /// <summary>Checks that the parts agree and holds them.</summary>
    /// <param name="zTables">One table per z channel.</param>
    /// <param name="zMedians">The median of each z channel.</param>
    /// <param name="yTables">The Gaussian tables, one per scale-table entry.</param>
    /// <param name="scaleIndexer">The scale-to-table index function.</param>
    /// <param name="hyperScales">The fixed-point scale branch of h_s, when the model has one.</param>
    /// <exception cref="CompassFormatException">The counts disagree.</exception>
    public CodecTables(QuantizedCdfTable zTables, float[] zMedians, QuantizedCdfTable yTables, ScaleTableIndexer scaleIndexer,
        FixedPointHyperScales? hyperScales = null)
    {
        if (hyperScales is not null && (hyperScales.ZChannels != zMedians.Length || hyperScales.TableCount != yTables.Count))
            throw new CompassFormatException($"The fixed-point hyper-synthesis has {hyperScales.ZChannels} z channels and {hyperScales.TableCount} scales; the tables have {zMedians.Length} and {yTables.Count}.");
        HyperScales = hyperScales;
        ArgumentNullException.ThrowIfNull(zTables);
        ArgumentNullException.ThrowIfNull(zMedians);
        ArgumentNullException.ThrowIfNull(yTables);
        ArgumentNullException.ThrowIfNull(scaleIndexer);
        if (zTables.Count != zMedians.Length)
            throw new CompassFormatException($"The z prior has {zTables.Count} tables but {zMedians.Length} medians.");
        if (yTables.Count != scaleIndexer.TableCount)
            throw new CompassFormatException($"The y prior has {yTables.Count} Gaussian tables but the scale table has {scaleIndexer.TableCount} entries.");
        ZTables = zTables;
        ZMedians = zMedians;
        YTables = yTables;
        ScaleIndexer = scaleIndexer;
    }

    /// <summary>One table per z channel.</summary>
    public QuantizedCdfTable ZTables { get; }

    /// <summary>The median of each z channel: z is coded as <c>round(z - median)</c>.</summary>
    public float[] ZMedians { get; }

    /// <summary>The Gaussian tables, one per scale-table entry.</summary>
    public QuantizedCdfTable YTables { get; }

    /// <summary>Maps a predicted scale to its table by comparisons only.</summary>
    public ScaleTableIndexer ScaleIndexer { get; }

    /// <summary>The deterministic (fixed-point) scale branch of h_s, when the model provides it (entropy path 2).</summary>
    public FixedPointHyperScales? HyperScales { get; }

    /// <summary>Number of z channels (N).</summary>
    public int ZChannels => ZMedians.Length;
}
