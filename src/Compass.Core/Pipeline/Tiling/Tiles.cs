using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>How a tile is combined with the pixels already in the destination.</summary>
internal enum BlitMode
{
    /// <summary>The destination takes the tile's values.</summary>
    Copy,

    /// <summary>destination += tile (a decoded residual added into its prediction).</summary>
    Add,

    /// <summary>destination -= tile (a target turned into its residual without a full-size prediction image).</summary>
    Subtract,
}

/// <summary>Copies between planar images and their tiles.</summary>
internal static class Tiles
{
    /// <summary>
    /// Writes, adds or subtracts (<paramref name="mode"/>) the <paramref name="destinationRect"/>-sized block of
    /// <paramref name="source"/> starting at (<paramref name="sourceX"/>, <paramref name="sourceY"/>) into
    /// <paramref name="destination"/> at <paramref name="destinationRect"/>.
    /// </summary>
    public static void Blit(PlanarImage source, int sourceX, int sourceY, PlanarImage destination, PixelRect destinationRect, BlitMode mode)
    {
        int w = destinationRect.Width, h = destinationRect.Height;
        if (sourceX < 0 || sourceY < 0 || sourceX + w > source.Width || sourceY + h > source.Height
            || destinationRect.X < 0 || destinationRect.Y < 0 || destinationRect.Right > destination.Width || destinationRect.Bottom > destination.Height)
            throw new ArgumentOutOfRangeException(nameof(destinationRect), $"Block {destinationRect} from ({sourceX}, {sourceY}) does not fit a {source.Width}x{source.Height} tile and a {destination.Width}x{destination.Height} image.");
        for (int c = 0; c < PlanarImage.Channels; c++)
        {
            for (int r = 0; r < h; r++)
            {
                var from = source.GetRow(c, sourceY + r).Slice(sourceX, w);
                var to = destination.GetRow(c, destinationRect.Y + r).Slice(destinationRect.X, w);
                switch (mode)
                {
                    case BlitMode.Add:
                        for (int x = 0; x < w; x++) to[x] += from[x];
                        break;
                    case BlitMode.Subtract:
                        for (int x = 0; x < w; x++) to[x] -= from[x];
                        break;
                    default:
                        from.CopyTo(to);
                        break;
                }
            }
        }
    }

    /// <summary>A copy of the <paramref name="rect"/> part of <paramref name="image"/>, in a buffer of <paramref name="buffers"/> when given.</summary>
    public static PlanarImage Crop(PlanarImage image, PixelRect rect, TileBuffers? buffers = null)
    {
        var result = buffers is null
            ? new PlanarImage(rect.Width, rect.Height)
            : new PlanarImage(rect.Width, rect.Height, buffers.Rent(PlanarImage.Channels * rect.Width * rect.Height));
        Blit(image, rect.X, rect.Y, result, PixelRect.Whole(rect.Width, rect.Height), BlitMode.Copy);
        return result;
    }
}

/// <summary>
/// Reuses the per-tile input buffers of one tiled pass: most tiles of a layer have one of a few shapes, so each crop
/// takes a free array of its exact length instead of leaving one large-object-heap array per tile for the GC.
/// The networks do not keep their inputs after a run returns, so a buffer is free again as soon as its run is done.
/// </summary>
internal sealed class TileBuffers
{
    private readonly Dictionary<int, Stack<float[]>> _free = [];

    /// <summary>A buffer of exactly <paramref name="length"/> floats (contents undefined).</summary>
    public float[] Rent(int length) =>
        _free.TryGetValue(length, out var stack) && stack.TryPop(out var array) ? array : new float[length];

    /// <summary>Gives <paramref name="array"/> back for the next tile.</summary>
    public void Return(float[] array)
    {
        if (!_free.TryGetValue(array.Length, out var stack)) _free[array.Length] = stack = new Stack<float[]>(1);
        stack.Push(array);
    }
}
