using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>
/// LIFF over source tiles. The previous layer is cut into bands of at most <see cref="TilingPolicy.LiffTile"/>
/// pixels per side; every target pixel belongs to the band of its nearest source pixel (<see cref="LiffGrid"/>, which
/// is monotone, so each band owns a contiguous block of target rows and columns). A tile's network run gets the
/// source pixels its targets use plus <see cref="ICompassNetworks.LiffRadius"/> on each side, so its features (and
/// its prediction) equal the whole-layer ones.
/// </summary>
internal static class TiledPrediction
{
    /// <summary>The prediction of a <paramref name="width"/> x <paramref name="height"/> layer from <paramref name="previous"/>.</summary>
    public static PlanarImage Predict(ICompassNetworks networks, PlanarImage previous, int width, int height,
        TilingPolicy policy, CancellationToken cancellationToken)
    {
        if (IsSingleTile(previous, policy))
            return networks.Predict(previous, width, height, cancellationToken);
        var output = new PlanarImage(width, height);
        Run(networks, previous, output, BlitMode.Copy, policy, cancellationToken);
        return output;
    }

    /// <summary>
    /// Subtracts the prediction of <paramref name="target"/>'s layer from <paramref name="target"/> in place (target
    /// becomes the residual), tile by tile: the encoder's last layer needs the residual only, and this spares it a
    /// full-size prediction image (12 bytes per pixel, 288 MB at 24 MP). Each pixel is <c>target - prediction</c> in
    /// float, as when the prediction is formed first.
    /// </summary>
    public static void SubtractFrom(ICompassNetworks networks, PlanarImage previous, PlanarImage target,
        TilingPolicy policy, CancellationToken cancellationToken)
    {
        if (IsSingleTile(previous, policy))
        {
            var whole = networks.Predict(previous, target.Width, target.Height, cancellationToken);
            Tiles.Blit(whole, 0, 0, target, PixelRect.Whole(target.Width, target.Height), BlitMode.Subtract);
            return;
        }
        Run(networks, previous, target, BlitMode.Subtract, policy, cancellationToken);
    }

    private static bool IsSingleTile(PlanarImage previous, TilingPolicy policy) =>
        previous.Height <= policy.LiffTile && previous.Width <= policy.LiffTile;

    private static void Run(ICompassNetworks networks, PlanarImage previous, PlanarImage output, BlitMode mode,
        TilingPolicy policy, CancellationToken cancellationToken)
    {
        int width = output.Width, height = output.Height;
        var rowBands = TilingPolicy.Split(previous.Height, policy.LiffTile);
        var columnBands = TilingPolicy.Split(previous.Width, policy.LiffTile);
        var grid = LiffGrid.Create(previous.Height, previous.Width, height, width);
        var rows = Owned(grid.RowIndex, rowBands, networks.LiffRadius, previous.Height);
        var columns = Owned(grid.ColumnIndex, columnBands, networks.LiffRadius, previous.Width);
        var buffers = new TileBuffers();
        int done = 0, total = rows.Count * columns.Count;
        try
        {
            foreach (var (targetRows, sourceRows) in rows)
            {
                foreach (var (targetColumns, sourceColumns) in columns)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var source = new PixelRect(sourceColumns.Start, sourceRows.Start, sourceColumns.End - sourceColumns.Start, sourceRows.End - sourceRows.Start);
                    var target = new PixelRect(targetColumns.Start, targetRows.Start, targetColumns.End - targetColumns.Start, targetRows.End - targetRows.Start);
                    var window = new LiffWindow(previous.Width, previous.Height, source, width, height, target);
                    var crop = Tiles.Crop(previous, source, buffers);
                    var tile = new PlanarImage(target.Width, target.Height, buffers.Rent(PlanarImage.Channels * target.Width * target.Height));
                    networks.Predict(crop, window, tile, cancellationToken);
                    buffers.Return(crop.Data);
                    Tiles.Blit(tile, 0, 0, output, target, mode);
                    buffers.Return(tile.Data);
                    policy.Progress?.Report(TileStage.Prediction, ++done, total);
                }
            }
        }
        finally
        {
            // A large layer's residual analysis or synthesis comes next: give it the feature buffers' memory.
            networks.ReleaseScratch();
        }
    }

    /// <summary>
    /// Per band along one axis: the target range whose nearest source index falls in the band, and the source range
    /// those targets need (their indices widened by <paramref name="radius"/>, clipped to the layer). Empty bands are skipped.
    /// </summary>
    private static List<((int Start, int End) Target, (int Start, int End) Source)> Owned(int[] index, (int Start, int End)[] bands, int radius, int sourceExtent)
    {
        var result = new List<((int, int), (int, int))>(bands.Length);
        int t = 0;
        foreach (var (start, end) in bands)
        {
            int t0 = t;
            int low = int.MaxValue, high = int.MinValue;
            while (t < index.Length && index[t] < end)
            {
                low = Math.Min(low, index[t]);
                high = Math.Max(high, index[t]);
                t++;
            }
            if (t > t0)
                result.Add(((t0, t), (Math.Max(0, low - radius), Math.Min(sourceExtent, high + 1 + radius))));
        }
        return result;
    }
}
