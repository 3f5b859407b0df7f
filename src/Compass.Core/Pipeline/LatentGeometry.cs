using System.Diagnostics.CodeAnalysis;
namespace Compass.Pipeline;

/// <summary>
/// Latent sizes of the mean-scale codec for an image size. Every stride-2 stage maps n to ceil(n/2) (odd
/// sizes get one replicated row/column first), so y is ceil(n/16) and z is ceil(n/64). The decoder derives
/// these from the layer size carried in the bitstream, never from encoder state.
/// </summary>
[Experimental(ExperimentalApis.Backend)]
public static class LatentGeometry
{
    /// <summary>The y (latent) extent of an image extent: <c>ceil(n / 16)</c>.</summary>
    /// <param name="imageExtent">An image width or height (at least 1).</param>
    public static int YExtent(int imageExtent) => CeilDiv(imageExtent, 16);

    /// <summary>The z (hyper-latent) extent of an image extent: <c>ceil(n / 64)</c>.</summary>
    /// <param name="imageExtent">An image width or height (at least 1).</param>
    public static int ZExtent(int imageExtent) => CeilDiv(imageExtent, 64);

    private static int CeilDiv(int n, int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return (n + d - 1) / d;
    }
}
