namespace Compass.Training.Data;

/// <summary>
/// Makes the batch of any training step: random crops from an <see cref="ImageFolderDataset"/>,
/// one set of layer sizes from a <see cref="ScaleSampler"/>, every layer downscaled from the crop.
/// <see cref="GetBatch"/> is a pure function of (seed, step), which is what makes resuming exact.
/// </summary>
public sealed class TrainingBatchSource
{
    /// <summary>Creates a source.</summary>
    /// <param name="dataset">The images.</param>
    /// <param name="batchSize">Crops per batch.</param>
    /// <param name="scales">Layer sizes per batch (<see cref="ScaleSampler.SingleLayer"/> for a single-layer codec).</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="downscale">The resampler; <see cref="Downscalers.BicubicAntialias"/> when null.</param>
    public TrainingBatchSource(ImageFolderDataset dataset, int batchSize, ScaleSampler scales, long seed, Downscaler? downscale = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(scales);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        Dataset = dataset;
        BatchSize = batchSize;
        Scales = scales;
        Seed = seed;
        Downscale = downscale ?? Downscalers.BicubicAntialias;
    }

    /// <summary>The images.</summary>
    public ImageFolderDataset Dataset { get; }

    /// <summary>Crops per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The layer-size sampler.</summary>
    public ScaleSampler Scales { get; }

    /// <summary>The run's seed.</summary>
    public long Seed { get; }

    /// <summary>The resampler that makes every layer from the crop.</summary>
    public Downscaler Downscale { get; }

    /// <summary>The batch of <paramref name="step"/>; the caller disposes it.</summary>
    public TrainingBatch GetBatch(long step)
    {
        using var crops = Dataset.SampleCrops(Seed, step, BatchSize);
        var sizes = Scales.Sample(Dataset.CropSize, Dataset.CropSize, Seed, step);
        var layers = sizes.Select(s => Downscale(crops, s.Height, s.Width)).ToArray();
        return new TrainingBatch(step, layers);
    }
}
