using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>
/// A layer under 16 px a side (allowed only as the one layer of a single-layer plan, see <see cref="LayerPlan.MinSide"/>)
/// is coded at <c>max(side, 16)</c>: the image is extended to the right and bottom by repeating its last column and row,
/// analysed and synthesised at that size, and the synthesis is cropped back to the top-left <c>width x height</c>. The
/// decoder derives the coded size from the layer size in the header, so nothing extra is stored. Coded directly, a side
/// under 16 leaves the analysis transform's zero padding most of its input (a 1x1 pixel decodes about 150 levels off);
/// padded, a flat tiny image codes like a flat 16x16 one.
/// </summary>
internal static class TinyLayer
{
    /// <summary>The smallest side the networks code; smaller layers are padded to it.</summary>
    public const int CodedMinSide = LayerPlan.MinSide;

    /// <summary>Whether a layer of this size is padded for coding.</summary>
    public static bool IsTiny(int width, int height) => width < CodedMinSide || height < CodedMinSide;

    /// <summary>The size a layer is coded at: each side raised to <see cref="CodedMinSide"/>.</summary>
    public static (int Width, int Height) CodedSize(int width, int height) => (Math.Max(width, CodedMinSide), Math.Max(height, CodedMinSide));

    /// <summary>The image extended to <see cref="CodedSize"/> by repeating its last column and row.</summary>
    public static PlanarImage Pad(PlanarImage image)
    {
        var (width, height) = CodedSize(image.Width, image.Height);
        var padded = new PlanarImage(width, height);
        for (int c = 0; c < PlanarImage.Channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                var source = image.GetRow(c, Math.Min(y, image.Height - 1));
                var row = padded.GetRow(c, y);
                source.CopyTo(row);
                row[image.Width..].Fill(source[^1]);
            }
        }
        return padded;
    }

    /// <summary>The top-left <paramref name="width"/> x <paramref name="height"/> of <paramref name="image"/>.</summary>
    public static PlanarImage Crop(PlanarImage image, int width, int height)
    {
        var cropped = new PlanarImage(width, height);
        for (int c = 0; c < PlanarImage.Channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                image.GetRow(c, y)[..width].CopyTo(cropped.GetRow(c, y));
            }
        }
        return cropped;
    }
}
