using System.Diagnostics.CodeAnalysis;
namespace Compass.Pipeline;

/// <summary>A rectangle of pixels: columns [X, X + Width), rows [Y, Y + Height).</summary>
[Experimental(ExperimentalApis.Backend)]
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    /// <summary>One past the last column.</summary>
    public int Right => X + Width;

    /// <summary>One past the last row.</summary>
    public int Bottom => Y + Height;

    /// <summary>The whole of a <paramref name="width"/> x <paramref name="height"/> image.</summary>
    public static PixelRect Whole(int width, int height) => new(0, 0, width, height);
}
