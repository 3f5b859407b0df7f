using System.Globalization;

namespace Compass.Cli;

/// <summary>Turns <c>--scales</c> / <c>--sizes</c> into a <see cref="LayerPlan"/> for an image of a given size.</summary>
internal static class PlanArguments
{
    /// <summary>
    /// The plan for a <paramref name="width"/> x <paramref name="height"/> image. Scales are fractions of the
    /// image size (<c>1</c> is the image itself); with neither option it is <see cref="LayerPlan.Default"/>.
    /// </summary>
    /// <exception cref="CliException">Both options are given, or a scale is not a number.</exception>
    /// <exception cref="ArgumentException">The plan breaks a rule.</exception>
    /// <exception cref="FormatException">The sizes are malformed.</exception>
    public static LayerPlan Resolve(string? scales, string? sizes, int width, int height)
    {
        if (scales is not null && sizes is not null)
            throw new CliException("give --scales or --sizes, not both");
        if (sizes is not null)
            return LayerPlan.Parse(sizes);
        if (scales is not null)
            return LayerPlan.FromScales(width, height, ParseScales(scales));
        return LayerPlan.Default(width, height);
    }

    /// <summary>Parses <c>0.25,0.5,1</c> (invariant culture, spaces allowed).</summary>
    public static double[] ParseScales(string text) => text.Split(',').Select(item =>
        double.TryParse(item.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double s)
            ? s
            : throw new CliException($"--scales: '{item.Trim()}' is not a number in '{text}' (expected e.g. 0.25,0.5,1)")).ToArray();
}
