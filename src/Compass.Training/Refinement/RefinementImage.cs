using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Compass.Training.Refinement;

/// <summary>Reads an image file as the tensor <see cref="LatentRefiner"/> takes: [1, 3, H, W], 8-bit RGB over 255.</summary>
public static class RefinementImage
{
    /// <summary>Loads <paramref name="path"/>, optionally its centred <paramref name="crop"/> x <paramref name="crop"/> part.</summary>
    /// <param name="path">A PNG, JPEG, or other format ImageSharp reads.</param>
    /// <param name="crop">Side of the centred square crop; null for the whole image.</param>
    /// <exception cref="ArgumentException">A crop larger than the image, or not positive.</exception>
    /// <exception cref="CompassFormatException">The file is not an image ImageSharp reads.</exception>
    public static Tensor Load(string path, int? crop = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Image<Rgb24> image;
        try
        {
            image = Image.Load<Rgb24>(path);
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException or ImageFormatException)
        {
            throw new CompassFormatException($"'{path}' is not a readable image: {ex.Message}", ex);
        }
        using (image)
        {
            int width = image.Width, height = image.Height, left = 0, top = 0;
            if (crop is { } side)
            {
                if (side < 1 || side > width || side > height)
                    throw new ArgumentException($"Crop {side} does not fit the {width}x{height} image '{path}'.", nameof(crop));
                left = (width - side) / 2;
                top = (height - side) / 2;
                width = height = side;
            }
            var planes = new float[3 * width * height];
            int plane = width * height;
            image.ProcessPixelRows(rows =>
            {
                for (int row = 0; row < height; row++)
                {
                    var pixels = rows.GetRowSpan(top + row).Slice(left, width);
                    for (int col = 0; col < width; col++)
                    {
                        int i = (row * width) + col;
                        planes[i] = pixels[col].R / 255f;
                        planes[plane + i] = pixels[col].G / 255f;
                        planes[(2 * plane) + i] = pixels[col].B / 255f;
                    }
                }
            });
            return tensor(planes, [1, 3, height, width]);
        }
    }
}
