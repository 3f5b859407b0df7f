namespace Compass.Pipeline;

/// <summary>
/// Latent sizes of the mean-scale codec for an image size. Every stride-2 stage maps n to ceil(n/2) (odd
/// sizes get one replicated row/column first), so y is ceil(n/16) and z is ceil(n/64). The decoder derives
/// these from the layer size carried in the bitstream, never from encoder state.
/// </summary>
internal static class LatentGeometry
{
    public static int YExtent(int imageExtent) => CeilDiv(imageExtent, 16);

    public static int ZExtent(int imageExtent) => CeilDiv(imageExtent, 64);

    private static int CeilDiv(int n, int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return (n + d - 1) / d;
    }
}
