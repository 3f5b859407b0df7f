using System.Globalization;
using System.Text;

namespace Compass.Evaluation;

/// <summary>
/// Renders <see cref="EvaluationResults"/> as Markdown: the BD-rate table in the COMPASS paper's layout
/// (rows: vs Simulcast, vs Single-layer; columns: two-layer 1.2x ... 2.8x, then three-layer 2.4x ... 4.0x),
/// one table per BD method, the classic-codec comparison of the single setup, and the mean RD points.
/// </summary>
public static class MarkdownReport
{
    /// <summary>The Markdown text.</summary>
    /// <param name="results">The results to render.</param>
    public static string Render(EvaluationResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        md.AppendLine("# Compass evaluation");
        md.AppendLine();
        if (results.Note is { } note) md.AppendLine($"> {note}").AppendLine();
        md.AppendLine(Invariant($"{results.Images.Count} image(s): {string.Join(", ", results.Images.Select(i => i.Name))}. Created {results.Created:yyyy-MM-dd HH:mm} UTC."));
        md.AppendLine();
        md.AppendLine("Models (one rate point each):");
        md.AppendLine();
        foreach (var m in results.Models)
            md.AppendLine($"- `{m.Name}` (quality {m.Quality.ToString(CultureInfo.InvariantCulture)}, identity `{m.Identity ?? "?"}`): {m.Description}");
        md.AppendLine();

        var two = Find(results, EvaluationSetup.TwoLayer.Name);
        var three = Find(results, EvaluationSetup.ThreeLayer.Name);
        if (two is not null || three is not null)
        {
            foreach (var method in ResultsBuilder.Methods)
            {
                string name = ResultsBuilder.MethodName(method);
                md.AppendLine($"## BD-rate of COMPASS (%, {name}; negative = COMPASS saves bits)");
                md.AppendLine();
                var columns = EvaluationSetup.TwoLayer.Configurations.Select(c => (Setup: two, Label: c.Label, Header: c.Label))
                    .Concat(EvaluationSetup.ThreeLayer.Configurations.Select((c, i) => (Setup: three, Label: c.Label, Header: i == 0 ? "3L " + c.Label : c.Label)))
                    .ToList();
                md.AppendLine("| vs | " + string.Join(" | ", columns.Select(c => c.Header)) + " |");
                md.AppendLine("|---|" + string.Concat(columns.Select(_ => "---|")));
                var notes = new List<string>();
                foreach (var (reference, title) in new[] { (Curves.Simulcast, "Simulcast"), (Curves.SingleLayer, "Single-layer") })
                {
                    var cells = columns.Select(c => Cell(c.Setup?.BdRates.FirstOrDefault(b => b.Configuration == c.Label && b.Reference == reference && b.Method == name), notes));
                    md.AppendLine($"| {title} | " + string.Join(" | ", cells) + " |");
                }
                md.AppendLine();
                AppendNotes(md, notes);
            }
        }

        if (Find(results, EvaluationSetup.Single.Name) is { } single)
        {
            md.AppendLine("## Single-layer codec vs classic codecs (BD-rate %, negative = fewer bits)");
            md.AppendLine();
            md.AppendLine("The classic codecs' points are means over all 24 Kodak images (issue 6); a run on fewer images compares different image sets.");
            md.AppendLine();
            md.AppendLine("| vs | " + string.Join(" | ", ResultsBuilder.Methods.Select(ResultsBuilder.MethodName)) + " |");
            md.AppendLine("|---|" + string.Concat(ResultsBuilder.Methods.Select(_ => "---|")));
            var notes = new List<string>();
            foreach (var anchor in ClassicCodecAnchors.All)
            {
                var cells = ResultsBuilder.Methods.Select(m => Cell(single.BdRates.FirstOrDefault(b => b.Reference == anchor.Name && b.Method == ResultsBuilder.MethodName(m)), notes));
                md.AppendLine($"| {anchor.Name} | " + string.Join(" | ", cells) + " |");
            }
            md.AppendLine();
            AppendNotes(md, notes);
        }

        foreach (var setup in results.Setups)
        {
            md.AppendLine($"## Mean RD points: {setup.Name}");
            md.AppendLine();
            md.AppendLine("| configuration | curve | model | images | bpp | PSNR (dB) |");
            md.AppendLine("|---|---|---|---|---|---|");
            foreach (var p in setup.Means)
                md.AppendLine(Invariant($"| {p.Configuration} | {p.Curve} | {p.Model} | {p.Images} | {p.Bpp:0.0000} | {p.Psnr:0.00} |"));
            md.AppendLine();
            md.AppendLine("Time per model: " + string.Join("; ", setup.Timings.Select(t => Invariant($"`{t.Model}` {t.Seconds:0.0} s for {t.Images} image(s)"))) + ".");
            md.AppendLine();
        }
        return md.ToString();
    }

    /// <summary>Writes <see cref="Render"/> to <paramref name="path"/>.</summary>
    /// <param name="results">The results to render.</param>
    /// <param name="path">The Markdown file to write.</param>
    public static void Write(EvaluationResults results, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ResultsJson.WriteAtomically(path, Render(results));
    }

    private static SetupResults? Find(EvaluationResults results, string name) => results.Setups.FirstOrDefault(s => s.Name == name);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    // A value, "-" when not computed, or "n/a [k]" with the reason as footnote k (long reasons would swamp the table).
    private static string Cell(BdRateEntry? entry, List<string> notes)
    {
        if (entry is null) return "-";
        if (entry.Percent is not null || entry.Note is null) return entry.Text;
        int k = notes.IndexOf(entry.Note);
        if (k < 0)
        {
            notes.Add(entry.Note);
            k = notes.Count - 1;
        }
        return $"n/a [{k + 1}]";
    }

    private static void AppendNotes(StringBuilder md, List<string> notes)
    {
        if (notes.Count == 0) return;
        for (int i = 0; i < notes.Count; i++) md.AppendLine($"[{i + 1}] {notes[i]}" + (i < notes.Count - 1 ? "  " : ""));
        md.AppendLine();
    }
}
