namespace Compass.Training.Data;

/// <summary>The pixel size of one layer image.</summary>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
public readonly record struct LayerSize(int Height, int Width)
{
    /// <inheritdoc />
    public override string ToString() => $"{Width}x{Height}";
}

/// <summary>A closed range of scale factors (fractions of the crop size) for one layer.</summary>
/// <param name="Min">Smallest scale, in (0, 1].</param>
/// <param name="Max">Largest scale, in [Min, 1].</param>
public readonly record struct ScaleRange(double Min, double Max);
