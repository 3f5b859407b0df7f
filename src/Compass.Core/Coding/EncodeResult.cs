namespace Compass;

/// <summary>What one layer cost in an encoded stream.</summary>
/// <param name="Index">Layer index (0 = base layer).</param>
/// <param name="Size">Layer size.</param>
/// <param name="PayloadBytes">Bytes of this layer's z and y strings (without the chunk framing).</param>
/// <param name="AccumulatedBytes">Bytes a decoder must read to decode layers 0..Index: header and every chunk up to this one.</param>
/// <param name="Elapsed">Time spent encoding the layer.</param>
public readonly record struct EncodedLayer(int Index, LayerSize Size, int PayloadBytes, long AccumulatedBytes, TimeSpan Elapsed)
{
    /// <summary>Bits per pixel of the accumulated bytes over this layer's pixels (the scalable-coding rate).</summary>
    public double BitsPerPixel => AccumulatedBytes * 8.0 / Size.Pixels;
}

/// <summary>The outcome of an encode: the plan, the quality of each layer and what each layer cost.</summary>
public sealed class EncodeResult
{
    internal EncodeResult(LayerPlan plan, IReadOnlyList<Bitstream.LayerRate> layerRates, Bitstream.ModelIdentity modelId, IReadOnlyList<EncodedLayer> layers, long totalBytes, IReadOnlyList<Imaging.PlanarImage>? reconstructions)
    {
        LayerRates = layerRates;
        Quality = layerRates[0].Quality;
        ModelId = modelId;
        Reconstructions = reconstructions;
        Plan = plan;
        Layers = layers;
        TotalBytes = totalBytes;
    }

    /// <summary>The layer plan that was coded.</summary>
    public LayerPlan Plan { get; }

    /// <summary>The base layer's quality (every layer's unless per-layer qualities or rate control chose otherwise).</summary>
    public Quality Quality { get; }

    /// <summary>The quality and quantisation step each layer was coded with (what rate control chose), base layer first.</summary>
    public IReadOnlyList<Bitstream.LayerRate> LayerRates { get; }

    /// <summary>The identity of the model bundle that coded the stream (recorded in its header; a decoder needs the same bundle).</summary>
    public Bitstream.ModelIdentity ModelId { get; }

    /// <summary>Per-layer sizes and costs.</summary>
    public IReadOnlyList<EncodedLayer> Layers { get; }

    /// <summary>Total bytes of the stream.</summary>
    public long TotalBytes { get; }

    /// <summary>The encoder's reconstruction of each layer, when <see cref="EncodeOptions.KeepReconstructions"/> was set.</summary>
    internal IReadOnlyList<Imaging.PlanarImage>? Reconstructions { get; }
}
