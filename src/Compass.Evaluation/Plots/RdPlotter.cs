using ScottPlot;

namespace Compass.Evaluation;

/// <summary>
/// RD plots (PNG, bpp against PSNR) with ScottPlot: per setup, one colour per configuration and one line
/// style per curve (COMPASS solid, simulcast dashed, single-layer dotted); for the single setup, the
/// single-layer codec with the classic-codec anchors.
/// </summary>
public static class RdPlotter
{
    /// <summary>Width of the written images in pixels.</summary>
    public const int Width = 1100;

    /// <summary>Height of the written images in pixels.</summary>
    public const int Height = 600;

    /// <summary>Writes one PNG per setup into <paramref name="folder"/> (<c>rd-&lt;setup&gt;.png</c>) and returns their paths.</summary>
    /// <param name="results">The results to plot.</param>
    /// <param name="folder">The output folder (created when missing).</param>
    public static IReadOnlyList<string> WriteAll(EvaluationResults results, string folder)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        foreach (var setup in results.Setups)
        {
            string path = Path.Combine(folder, $"rd-{setup.Name}.png");
            Write(setup, results.Images.Count, path);
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>Writes the plot of one setup to <paramref name="path"/> (PNG).</summary>
    /// <param name="setup">The setup's results.</param>
    /// <param name="imageCount">Number of images (shown in the title).</param>
    /// <param name="path">The PNG file to write.</param>
    public static void Write(SetupResults setup, int imageCount, string path)
    {
        ArgumentNullException.ThrowIfNull(setup);
        using var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        if (setup.LayerCount > 1)
        {
            for (int c = 0; c < setup.Configurations.Count; c++)
            {
                string label = setup.Configurations[c].Label;
                var color = palette.GetColor(c);
                AddCurve(plot, setup, label, Curves.Compass, $"COMPASS {label}", color, LinePattern.Solid, MarkerShape.FilledCircle);
                AddCurve(plot, setup, label, Curves.Simulcast, $"simulcast {label}", color, LinePattern.Dashed, MarkerShape.OpenSquare);
                AddCurve(plot, setup, label, Curves.SingleLayer, $"single-layer {label}", color, LinePattern.Dotted, MarkerShape.OpenTriangleUp);
            }
        }
        else
        {
            AddCurve(plot, setup, setup.Configurations[0].Label, Curves.SingleLayer, "Compass single-layer (base codec)", palette.GetColor(0),
                LinePattern.Solid, MarkerShape.FilledCircle);
            for (int a = 0; a < ClassicCodecAnchors.All.Count; a++)
            {
                var anchor = ClassicCodecAnchors.All[a];
                var scatter = plot.Add.Scatter(anchor.Points.Select(p => p.Bpp).ToArray(), anchor.Points.Select(p => p.Psnr).ToArray(), palette.GetColor(a + 1));
                scatter.LegendText = anchor.Name + " (24 Kodak images)";
                scatter.LinePattern = LinePattern.Dashed;
                scatter.MarkerShape = MarkerShape.OpenSquare;
            }
        }
        plot.Title($"Compass RD, {setup.Name} ({imageCount} image{(imageCount == 1 ? "" : "s")})");
        plot.XLabel("bits per pixel (all layers, over the final layer's pixels)");
        plot.YLabel("PSNR-RGB of the final layer (dB)");
        plot.ShowLegend(Edge.Right); // outside the data area: a legend inside hides points
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        plot.SavePng(path, Width, Height);
    }

    private static void AddCurve(Plot plot, SetupResults setup, string configuration, string curve, string legend, Color color,
        LinePattern pattern, MarkerShape marker)
    {
        var points = setup.Means.Where(p => p.Configuration == configuration && p.Curve == curve).OrderBy(p => p.Bpp).ToList();
        if (points.Count == 0) return;
        var scatter = plot.Add.Scatter(points.Select(p => p.Bpp).ToArray(), points.Select(p => p.Psnr).ToArray(), color);
        scatter.LegendText = legend;
        scatter.LinePattern = pattern;
        scatter.MarkerShape = marker;
        scatter.MarkerSize = 8;
    }
}
