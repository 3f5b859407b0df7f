using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>
/// g_a and h_a over image tiles, so that the encoder's analysis of a large layer runs in bounded memory.
/// </summary>
/// <remarks>
/// <para>Every stride-2 stage of g_a and h_a replicates the first row (column) of an odd-sized input, so the full
/// image behaves as if it were padded at the top by <c>D = 64 * ceil(H / 64) - H</c> rows: z row <c>r</c> covers
/// image rows <c>[64 r - D, 64 r + 64 - D)</c> and y row <c>q</c> rows <c>[16 q - D16, ...)</c>, with
/// <c>D16 = 16 * ceil(H / 16) - H</c>. Tiles are cut on that 64-pixel grid: the first tile starts at the image
/// top with a height congruent to H modulo 64, so its stages pad exactly as the full image's do; every other tile
/// starts on a grid line, so its stages pad nothing. Each tile is analysed with a halo of
/// <see cref="TilingPolicy.AnalysisHalo"/> z pixels (more than the receptive field of z on the image) and only its
/// core is kept, so a tiled analysis equals the untiled one up to float rounding.</para>
/// </remarks>
internal static class TiledAnalysis
{
    /// <summary>The latent y and hyper-latent z of <paramref name="image"/>, tile by tile as <paramref name="policy"/> says.</summary>
    public static (LatentTensor Y, LatentTensor Z) Analyze(ICompassNetworks networks, CodecRole role, PlanarImage image, TilingPolicy policy,
        CancellationToken cancellationToken = default)
    {
        int height = image.Height, width = image.Width;
        int zh = LatentGeometry.ZExtent(height), zw = LatentGeometry.ZExtent(width);
        var rows = TilingPolicy.Split(zh, policy.AnalysisTile);
        var columns = TilingPolicy.Split(zw, policy.AnalysisTile);
        if (rows.Length == 1 && columns.Length == 1) return networks.Analyze(role, image);

        var vertical = new Axis(height);
        var horizontal = new Axis(width);
        LatentTensor? y = null, z = null;
        var buffers = new TileBuffers();
        int halo = policy.AnalysisHalo;
        int done = 0, total = rows.Length * columns.Length;
        foreach (var (r0, r1) in rows)
        {
            int w0 = Math.Max(0, r0 - halo), w1 = Math.Min(zh, r1 + halo);
            foreach (var (c0, c1) in columns)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int v0 = Math.Max(0, c0 - halo), v1 = Math.Min(zw, c1 + halo);
                int top = vertical.ImageStart(w0), bottom = vertical.ImageStart(w1);
                int left = horizontal.ImageStart(v0), right = horizontal.ImageStart(v1);
                var crop = Crop(image, left, top, right - left, bottom - top, buffers);
                var (ty, tz) = networks.Analyze(role, crop);
                buffers.Return(crop.Data);
                y ??= new LatentTensor(ty.Channels, LatentGeometry.YExtent(height), LatentGeometry.YExtent(width));
                z ??= new LatentTensor(tz.Channels, zh, zw);

                // z: tile row j is full row w0 + j; y: tile row j is full row YStart(w0) + j (both also for the first tile).
                Copy(tz, r0 - w0, c0 - v0, z, r0, r1, c0, c1);
                Copy(ty, vertical.YStart(r0) - vertical.YStart(w0), horizontal.YStart(c0) - horizontal.YStart(v0),
                    y, vertical.YStart(r0), vertical.YStart(r1), horizontal.YStart(c0), horizontal.YStart(c1));
                policy.Progress?.Report(TileStage.Analysis, ++done, total);
            }
        }
        return (y!, z!);
    }

    /// <summary>Where the rows (or columns) of z and y start in the image along one axis of <c>n</c> pixels.</summary>
    private readonly struct Axis(int n)
    {
        private readonly int _d64 = (64 * LatentGeometry.ZExtent(n)) - n;
        private readonly int _yOffset = ((64 * LatentGeometry.ZExtent(n)) - (16 * LatentGeometry.YExtent(n))) / 16;
        private readonly int _n = n;

        /// <summary>The first image pixel of z row (column) <paramref name="r"/>; <c>n</c> past the last one.</summary>
        public int ImageStart(int r) => Math.Clamp((64 * r) - _d64, 0, _n);

        /// <summary>The first y row (column) of z row (column) <paramref name="r"/>.</summary>
        public int YStart(int r) => Math.Clamp((4 * r) - _yOffset, 0, LatentGeometry.YExtent(_n));
    }

    private static PlanarImage Crop(PlanarImage image, int left, int top, int width, int height, TileBuffers buffers)
    {
        var tile = new PlanarImage(width, height, buffers.Rent(3 * width * height));
        for (int c = 0; c < 3; c++)
        {
            for (int r = 0; r < height; r++)
                image.Data.AsSpan((((c * image.Height) + top + r) * image.Width) + left, width)
                    .CopyTo(tile.Data.AsSpan(((c * height) + r) * width, width));
        }
        return tile;
    }

    // Copies rows [r0, r1) x columns [c0, c1) of 'to' from 'from', whose row fromRow / column fromColumn is row r0 / column c0.
    private static void Copy(LatentTensor from, int fromRow, int fromColumn, LatentTensor to, int r0, int r1, int c0, int c1)
    {
        if (from.Channels != to.Channels)
            throw new InvalidOperationException($"The analysis returned {from.Channels} channels for one tile and {to.Channels} for another.");
        int w = c1 - c0;
        for (int c = 0; c < to.Channels; c++)
        {
            for (int r = r0; r < r1; r++)
                from.Data.AsSpan((((c * from.Height) + fromRow + (r - r0)) * from.Width) + fromColumn, w)
                    .CopyTo(to.Data.AsSpan((((c * to.Height) + r) * to.Width) + c0, w));
        }
    }
}
