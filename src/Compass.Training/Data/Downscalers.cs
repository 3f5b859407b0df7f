using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Data;

/// <summary>
/// Resizes a batch <c>[B, C, H, W]</c> to <c>height x width</c>. The data pipeline makes every layer image
/// from the crop through this seam, so the resampler can be swapped (e.g. for a Pillow-compatible one).
/// The result must be a new tensor (the caller disposes it independently of the input).
/// </summary>
public delegate Tensor Downscaler(Tensor images, int height, int width);

/// <summary>Built-in <see cref="Downscaler"/> implementations.</summary>
public static class Downscalers
{
    /// <summary>
    /// libtorch's antialiased bicubic (<c>interpolate(mode: bicubic, antialias: true, align_corners: false)</c>:
    /// separable, a = -0.5, support widened by the downscale factor, i.e. Pillow's BICUBIC filter on
    /// floats without 8-bit rounding), clamped to [0, 1] as an 8-bit resampler would. An identity
    /// size returns a copy.
    /// </summary>
    public static Tensor BicubicAntialias(Tensor images, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.shape[^2] == height && images.shape[^1] == width) return images.clone();
        using var resized = nn.functional.interpolate(images, size: [height, width],
            mode: InterpolationMode.Bicubic, align_corners: false, antialias: true);
        return resized.clamp(0, 1);
    }
}
