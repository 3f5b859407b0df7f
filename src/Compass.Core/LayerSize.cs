using System.Globalization;

namespace Compass;

/// <summary>The size of one layer of a <see cref="LayerPlan"/>, in pixels.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <remarks>A plain pair of numbers: the rules that make a size usable are checked by <see cref="LayerPlan"/>.</remarks>
public readonly record struct LayerSize(int Width, int Height)
{
    /// <summary>Number of pixels, <c>Width * Height</c> (as <see cref="long"/>: never overflows).</summary>
    public long Pixels => (long)Width * Height;

    /// <summary>The compact text form <c>WIDTHxHEIGHT</c>, e.g. <c>768x512</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Width}x{Height}");
}
