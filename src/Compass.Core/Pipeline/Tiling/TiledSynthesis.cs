using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>
/// g_s over latent tiles. The synthesis crops the first row (column) after a stage whose target size is odd, so
/// the image is the 16x upsampled latent minus its first <c>D = 16 * yh - H</c> rows. A tile of <c>t</c> latent rows
/// starting at latent row <c>a</c> is run with the image height <c>16 t - D</c>: its stages then crop exactly as the
/// full image's do, and its row <c>r</c> is row <c>16 a + r</c> of the full image. Only the tile's core is kept;
/// the halo covers g_s's receptive field (under 2 latent pixels: four 5x5 stride-2 deconvolutions).
/// </summary>
internal static class TiledSynthesis
{
    /// <summary>Whether a <paramref name="width"/> x <paramref name="height"/> image is synthesised in one run under <paramref name="policy"/>.</summary>
    public static bool IsSingleTile(int height, int width, TilingPolicy policy) =>
        LatentGeometry.YExtent(height) <= policy.SynthesisTile && LatentGeometry.YExtent(width) <= policy.SynthesisTile;

    /// <summary>
    /// The reconstruction of <paramref name="yHat"/> at <paramref name="width"/> x <paramref name="height"/>, added
    /// into <paramref name="addTo"/> (and returned) when it is given, else a new image.
    /// </summary>
    public static PlanarImage Synthesize(ICompassNetworks networks, CodecRole role, LatentTensor yHat, int width, int height,
        TilingPolicy policy, PlanarImage? addTo = null, CancellationToken cancellationToken = default)
    {
        if (addTo is not null && (addTo.Width != width || addTo.Height != height))
            throw new ArgumentException($"Cannot add a {width}x{height} synthesis into a {addTo.Width}x{addTo.Height} image.", nameof(addTo));
        int yh = yHat.Height, yw = yHat.Width;
        if (yh != LatentGeometry.YExtent(height) || yw != LatentGeometry.YExtent(width))
            throw new ArgumentException($"A {yh}x{yw} latent does not synthesise a {width}x{height} image.", nameof(yHat));

        var rows = TilingPolicy.Split(yh, policy.SynthesisTile);
        var columns = TilingPolicy.Split(yw, policy.SynthesisTile);
        if (rows.Length == 1 && columns.Length == 1)
        {
            var whole = networks.Synthesize(role, yHat, width, height);
            if (addTo is null) return whole;
            Tiles.Blit(whole, 0, 0, addTo, PixelRect.Whole(width, height), BlitMode.Add);
            return addTo;
        }

        int cropY = (16 * yh) - height, cropX = (16 * yw) - width;
        var output = addTo ?? new PlanarImage(width, height);
        int halo = policy.SynthesisHalo;
        var buffers = new TileBuffers();
        int done = 0, total = rows.Length * columns.Length;
        foreach (var (r0, r1) in rows)
        {
            int w0 = Math.Max(0, r0 - halo), w1 = Math.Min(yh, r1 + halo);
            int top = Math.Max(0, (16 * r0) - cropY), bottom = Math.Min(height, (16 * r1) - cropY);
            foreach (var (c0, c1) in columns)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int v0 = Math.Max(0, c0 - halo), v1 = Math.Min(yw, c1 + halo);
                int left = Math.Max(0, (16 * c0) - cropX), right = Math.Min(width, (16 * c1) - cropX);
                var window = Crop(yHat, w0, w1, v0, v1, buffers);
                int tileWidth = (16 * (v1 - v0)) - cropX, tileHeight = (16 * (w1 - w0)) - cropY;
                var tile = new PlanarImage(tileWidth, tileHeight, buffers.Rent(PlanarImage.Channels * tileWidth * tileHeight));
                networks.Synthesize(role, window, tile);
                buffers.Return(window.Data);
                Tiles.Blit(tile, left - (16 * v0), top - (16 * w0), output, new PixelRect(left, top, right - left, bottom - top), addTo is null ? BlitMode.Copy : BlitMode.Add);
                buffers.Return(tile.Data);
                policy.Progress?.Report(TileStage.Synthesis, ++done, total);
            }
        }
        return output;
    }

    private static LatentTensor Crop(LatentTensor t, int r0, int r1, int c0, int c1, TileBuffers buffers)
    {
        int h = r1 - r0, w = c1 - c0;
        var result = new LatentTensor(t.Channels, h, w, buffers.Rent(t.Channels * h * w));
        for (int c = 0; c < t.Channels; c++)
        {
            for (int r = 0; r < h; r++)
                t.Data.AsSpan((((c * t.Height) + r0 + r) * t.Width) + c0, w).CopyTo(result.Data.AsSpan(((c * h) + r) * w, w));
        }
        return result;
    }
}
