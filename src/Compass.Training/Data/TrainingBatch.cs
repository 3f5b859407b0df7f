using static TorchSharp.torch;

namespace Compass.Training.Data;

/// <summary>
/// One training (or validation) batch: the layer images of the same crops, base layer first, each a
/// float tensor <c>[B, 3, H_k, W_k]</c> in [0, 1], every one made directly from the crop.
/// </summary>
public sealed class TrainingBatch : IDisposable
{
    /// <summary>Creates a batch that owns <paramref name="layers"/>.</summary>
    public TrainingBatch(long step, IReadOnlyList<Tensor> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("A batch needs at least one layer.", nameof(layers));
        Step = step;
        Layers = layers;
    }

    /// <summary>The training step this batch belongs to (-1 for validation).</summary>
    public long Step { get; }

    /// <summary>Layer images, base layer first.</summary>
    public IReadOnlyList<Tensor> Layers { get; }

    /// <summary>The largest layer.</summary>
    public Tensor Top => Layers[^1];

    /// <summary>Batch size.</summary>
    public int Count => (int)Layers[0].shape[0];

    /// <summary>The layer sizes, base layer first.</summary>
    public IReadOnlyList<LayerSize> Sizes => Layers.Select(t => new LayerSize(Width: (int)t.shape[3], Height: (int)t.shape[2])).ToArray();

    /// <summary>Frees the layer tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Layers) t.Dispose();
    }
}
