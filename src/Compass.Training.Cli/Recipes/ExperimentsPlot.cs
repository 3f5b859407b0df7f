using System.Text.Json.Nodes;
using ScottPlot;

namespace Compass.Training.Cli.Recipes;

/// <summary>
/// Draws the experiments file: Kodak quality of each run against its training CPU-hours, as dB above
/// the JPEG 4:2:0 and JPEG 2000 curves at equal rate (0 = on the curve), so runs at different rates compare.
/// </summary>
internal static class ExperimentsPlot
{
    /// <summary>The run's CPU-hours including the weights it started from (older lines: its own hours).</summary>
    private static double TotalHours(JsonObject r) =>
        r["training"]?["totalCpuHours"]?.GetValue<double>() ?? r["training"]?["cpuHours"]?.GetValue<double>() ?? 0;

    public static void Render(IReadOnlyList<JsonObject> records, string pngPath)
    {
        var plot = new Plot();
        foreach (var (anchor, legend, shape) in new[] { ("jpeg-420", "vs JPEG 4:2:0", MarkerShape.FilledCircle), ("jpeg2000", "vs JPEG 2000", MarkerShape.FilledSquare) })
        {
            var xs = new List<double>();
            var ys = new List<double>();
            foreach (var r in records)
            {
                if (r["vsAnchors"]?[anchor]?["dbAtEqualRate"]?.GetValue<double>() is not { } db) continue;
                double hours = TotalHours(r);
                xs.Add(hours);
                ys.Add(db);
                if (anchor == "jpeg-420")
                {
                    var text = plot.Add.Text(r["label"]?.GetValue<string>() ?? "", hours, db);
                    text.LabelFontSize = 10;
                    text.LabelOffsetX = 6;
                }
            }
            if (xs.Count == 0) continue;
            var points = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
            points.MarkerShape = shape;
            points.MarkerSize = 8;
            points.LegendText = legend;
        }
        double maxHours = records.Select(TotalHours).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsX(0, Math.Max(0.1, maxHours * 1.25));
        var zero = plot.Add.HorizontalLine(0);
        zero.LinePattern = LinePattern.Dashed;
        zero.LegendText = "on the anchor curve";
        plot.Title("Single-layer codec on Kodak (real bitstreams) vs training time");
        plot.XLabel("training CPU-hours, earlier stages it started from included (1 thread: = wall hours on an idle core)");
        plot.YLabel("dB above the anchor at equal rate");
        plot.ShowLegend(Alignment.LowerRight);
        var folder = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (folder is not null) Directory.CreateDirectory(folder);
        plot.SavePng(pngPath, 1000, 620);
    }
}
