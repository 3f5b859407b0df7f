using System.Globalization;
using Compass.Training.Modules;

namespace Compass.Training.Cli;

/// <summary>The <c>--variable-rate</c> value: a list of distinct qualities on the rate ladder.</summary>
internal static class QualityList
{
    /// <summary>Parses a list of distinct qualities 1..8: comma-separated values or ranges (<c>1-4</c>, <c>1,3,5</c>), at least two.</summary>
    public static bool TryParse(string spec, out IReadOnlyList<int> qualities, out string? why)
    {
        var list = new List<int>();
        qualities = list;
        why = null;
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                why = $"'{part}' is not a quality or a range of qualities (e.g. 1-4 or 1,2,3,4).";
                return false;
            }
            int from = int.Parse(ends[0], CultureInfo.InvariantCulture), to = int.Parse(ends[^1], CultureInfo.InvariantCulture);
            if (from < 1 || to > RateLadder.Lambdas.Count || from > to)
            {
                why = $"'{part}': qualities are 1..{RateLadder.Lambdas.Count}, in increasing order.";
                return false;
            }
            for (int q = from; q <= to; q++) list.Add(q);
        }
        // Ascending: the levels become a bundle's rate anchors, which interpolate in quality order.
        if (list.Count < 2 || list.Zip(list.Skip(1)).Any(p => p.First >= p.Second))
        {
            why = "give at least two distinct qualities in increasing order (e.g. 1-4 or 1,3,5).";
            return false;
        }
        return true;
    }
}
