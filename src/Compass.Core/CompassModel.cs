using System.Diagnostics.CodeAnalysis;
using Compass.Pipeline;

namespace Compass;

/// <summary>
/// A set of trained COMPASS networks, one model bundle per quality level, that <see cref="ScalableEncoder"/>
/// and <see cref="ScalableDecoder"/> run. Compass.Onnx provides the implementation
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

    /// <summary>The quality levels this model set provides, ascending (1 = fewest bits).</summary>
    public abstract IReadOnlyList<int> Qualities { get; }

    /// <summary>The quality used when the caller does not choose one.</summary>
    public virtual int DefaultQuality => Qualities[Qualities.Count / 2];

    /// <summary>A short human-readable description (name, preset, how it was trained).</summary>
    public abstract string Description { get; }

    /// <summary>The identity of the model bundle of one quality: the value recorded in (and checked against) its bitstreams.</summary>
    /// <param name="quality">One of <see cref="Qualities"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The model set does not provide <paramref name="quality"/>.</exception>
    public Bitstream.ModelIdentity GetModelId(int quality) => GetNetworks(quality).ModelId;

    /// <summary>The networks of one quality, as a backend runs them (the encoder and decoder call it; a wrapping model may too).</summary>
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
