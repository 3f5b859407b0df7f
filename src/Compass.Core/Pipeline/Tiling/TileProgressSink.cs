namespace Compass.Pipeline;

/// <summary>Where the tiled stages of one layer report each finished tile (<see cref="TilingPolicy.WithProgress"/>).</summary>
internal sealed class TileProgressSink(IProgress<TileProgress> progress, int layer, int layerCount)
{
    /// <summary>Reports tile <paramref name="done"/> of <paramref name="total"/> of <paramref name="stage"/>; safe from several threads.</summary>
    public void Report(TileStage stage, int done, int total) => progress.Report(new TileProgress(layer, layerCount, stage, done, total));
}
