using System.Diagnostics.CodeAnalysis;
using Compass.Pipeline;

namespace Compass;

/// <summary>
/// A set of trained COMPASS networks that <see cref="ScalableEncoder"/> and <see cref="ScalableDecoder"/> run:
/// either one variable-rate model bundle that codes every quality in a range (<see cref="Rate"/>), or a
/// single-rate set of bundles, one per whole-number quality level. Compass.Onnx provides the implementation
/// (<c>OnnxCompassModel</c>, which also holds the embedded default model); Compass.Core itself never runs
/// a network.
/// </summary>
/// <remarks>A model is safe to share between threads and between encoders and decoders. Dispose it once
/// no encoder or decoder uses it any more.</remarks>
public abstract class CompassModel : IDisposable
{
    /// <summary>Only Compass backends derive from this type (see <see cref="ExperimentalApis.Backend"/>).</summary>
    [Experimental(ExperimentalApis.Backend)]
    protected CompassModel() { }

    /// <summary>
    /// The whole-number quality levels this model names, ascending (1 = fewest bits): the levels of a single-rate set,
    /// or the whole numbers inside a variable-rate model's range (which also codes every quality between them).
    /// </summary>
    public abstract IReadOnlyList<int> Qualities { get; }

    /// <summary>
    /// The rate anchors of a variable-rate model (its range and the quantisation step at each anchor); null for a
    /// single-rate model set, whose networks code their own levels at step 1.
    /// </summary>
    public virtual Bundles.RateAnchors? Rate => null;

    /// <summary>The lowest quality this model codes.</summary>
    public Quality MinQuality => Rate is { } rate ? Quality.FromQ88((int)(rate.QualityMin * Quality.Scale)) : new Quality(Qualities[0]);

    /// <summary>The highest quality this model codes.</summary>
    public Quality MaxQuality => Rate is { } rate ? Quality.FromQ88((int)(rate.QualityMax * Quality.Scale)) : new Quality(Qualities[^1]);

    /// <summary>
    /// Whether this model codes <paramref name="quality"/>: any quality from <see cref="MinQuality"/> to
    /// <see cref="MaxQuality"/> for a variable-rate model, one of <see cref="Qualities"/> for a single-rate set.
    /// </summary>
    /// <param name="quality">The quality.</param>
    public bool IsAvailable(Quality quality) => Rate is not null
        ? quality >= MinQuality && quality <= MaxQuality
        : quality.IsWholeNumber && Qualities.Contains((int)quality.Value);

    /// <summary>What this model codes, for messages: <c>1 to 6 (any multiple of 1/256)</c> or <c>1, 2, 3, 4</c>.</summary>
    public string DescribeQualities() => Rate is not null
        ? $"{MinQuality} to {MaxQuality} (any multiple of 1/256)"
        : string.Join(", ", Qualities);

    /// <summary>The networks that code <paramref name="quality"/> (one of the set's, or a variable-rate model's only set).</summary>
    internal ICompassNetworks NetworksFor(Quality quality) =>
        GetNetworks(Rate is not null ? DefaultQuality : (int)quality.Value);

    /// <summary>
    /// The quality used when the caller does not choose one: 3 (lambda 0.0067, the middle of the ladders Compass models
    /// have shipped with) when the model has it, else the middle of <see cref="Qualities"/>.
    /// </summary>
    public virtual int DefaultQuality => Qualities.Contains(PreferredDefaultQuality) ? PreferredDefaultQuality : Qualities[Qualities.Count / 2];

    // A wider variable-rate range (1..8) must not silently move the default to a higher rate than the 1..4 ladder's.
    private const int PreferredDefaultQuality = 3;

    /// <summary>A short human-readable description (name, preset, how it was trained).</summary>
    public abstract string Description { get; }

    /// <summary>The identity of the model bundle of one quality: the value recorded in (and checked against) its bitstreams.</summary>
    /// <param name="quality">One of <see cref="Qualities"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The model set does not provide <paramref name="quality"/>.</exception>
    public Bitstream.ModelIdentity GetModelId(int quality) => GetNetworks(quality).ModelId;

    /// <summary>
    /// The networks of one quality level, as a backend runs them (the encoder and decoder call it; a wrapping model may
    /// too). A variable-rate model returns its one set of networks (at quantisation step 1) for each of its levels.
    /// </summary>
    /// <param name="quality">One of <see cref="Qualities"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The model set does not provide <paramref name="quality"/>.</exception>
    [Experimental(ExperimentalApis.Backend)]
    public abstract ICompassNetworks GetNetworks(int quality);

    /// <summary>Releases the native resources held by the networks.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources; called once by <see cref="Dispose()"/>.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing) { }
}
