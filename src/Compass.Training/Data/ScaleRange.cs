namespace Compass.Training.Data;

/// <summary>A closed range of scale factors (fractions of the crop size) for one layer.</summary>
/// <param name="Min">Smallest scale, in (0, 1].</param>
/// <param name="Max">Largest scale, in [Min, 1].</param>
public readonly record struct ScaleRange(double Min, double Max);
