using System.Globalization;
using Compass.Training.Modules;

namespace Compass.Training.Cli;

/// <summary>The <c>--variable-rate</c> value: a list of distinct level qualities (<see cref="RateLadder.LambdaOf(double)"/>).</summary>
internal static class QualityList
{
    /// <summary>
    /// Parses a list of distinct qualities: comma-separated values or ranges of whole qualities (<c>1-4</c>, <c>1,3,5</c>,
    /// <c>0.25,0.5,1-8</c>), at least two, in increasing order. A single value is any multiple of 1/256 from 1/256 to 8
    /// (qualities below 1 extend the ladder to lower rates); a range <c>a-b</c> is every whole quality from a to b.
    /// </summary>
    public static bool TryParse(string spec, out IReadOnlyList<double> qualities, out string? why)
    {
        var list = new List<double>();
        qualities = list;
        why = null;
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length == 1)
            {
                if (!double.TryParse(part, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double q))
                {
                    why = $"'{part}' is not a quality or a range of qualities (e.g. 0.5, 3 or 1-8).";
                    return false;
                }
                if (!RateLadder.IsLevelQuality(q))
                {
                    why = RateLadder.RangeMessage(q);
                    return false;
                }
                list.Add(q);
                continue;
            }
            if (ends.Length != 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                why = $"'{part}' is not a quality or a range of whole qualities (e.g. 0.5, 3 or 1-8; give fractional qualities one by one).";
                return false;
            }
            int from = int.Parse(ends[0], CultureInfo.InvariantCulture), to = int.Parse(ends[1], CultureInfo.InvariantCulture);
            if (from < 1 || to > RateLadder.Lambdas.Count || from > to)
            {
                why = $"'{part}': a range runs over whole qualities 1..{RateLadder.Lambdas.Count}, in increasing order.";
                return false;
            }
            for (int q = from; q <= to; q++) list.Add(q);
        }
        // Ascending: the levels become a bundle's rate anchors, which interpolate in quality order.
        if (list.Count < 2 || list.Zip(list.Skip(1)).Any(p => p.First >= p.Second))
        {
            why = "give at least two distinct qualities in increasing order (e.g. 1-4, 1,3,5 or 0.25,0.5,1-8).";
            return false;
        }
        return true;
    }
}
