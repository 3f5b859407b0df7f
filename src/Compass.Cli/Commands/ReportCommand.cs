using System.CommandLine;
using System.Text.Json;
using Compass.Evaluation;

namespace Compass.Cli.Commands;

/// <summary>
/// <c>compass report &lt;results.json&gt;... [--markdown f] [--plots dir] [--out merged.json]</c>: renders the Markdown
/// table and RD plots of results written by <c>compass eval</c>, without coding anything; several files (e.g. one
/// run per setup) are merged, the first file's models and images first.
/// </summary>
internal sealed class ReportCommand
{
    private readonly CliContext _context;
    private readonly Argument<string[]> _inputs = new("results") { Description = "Results files written by 'compass eval --out'.", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string?> _markdown = new("--markdown") { Description = "Markdown file to write (default: print it).", HelpName = "file.md" };
    private readonly Option<string?> _plots = new("--plots") { Description = "Folder for the RD plots (rd-<setup>.png).", HelpName = "folder" };
    private readonly Option<string?> _out = new("--out", "-o") { Description = "Write the merged results here.", HelpName = "merged.json" };

    public ReportCommand(CliContext context)
    {
        _context = context;
        Command = new Command("report", "Render the BD-rate table and RD plots of 'compass eval' results (several files are merged).") { _inputs, _markdown, _plots, _out };
        Command.SetAction(Execute);
    }

    public Command Command { get; }

    private int Execute(ParseResult parse)
    {
        var results = parse.GetValue(_inputs)!.Select(Read).ToList();
        var merged = Merge(results);
        if (parse.GetValue(_out) is { } output) ResultsJson.Write(merged, output);
        if (parse.GetValue(_plots) is { } plots)
            foreach (string plot in Plots.Write(merged, plots)) _context.Error.WriteLine($"compass: report: wrote {plot}");
        if (parse.GetValue(_markdown) is { } markdown) MarkdownReport.Write(merged, markdown);
        else _context.Out.Write(MarkdownReport.Render(merged));
        return ExitCodes.Success;
    }

    // Setups are taken in file order; a setup already present is not taken twice. Models and images are unions by name.
    internal static EvaluationResults Merge(IReadOnlyList<EvaluationResults> results)
    {
        var first = results[0];
        // Stream sizes depend on the header layout, so results of different bitstream versions do not compare.
        if (results.Select(r => r.BitstreamVersion ?? 1).Distinct().Count() > 1)
            throw new CliException("the results measured different bitstream versions (" + string.Join(", ", results.Select(r => r.BitstreamVersion ?? 1).Distinct()) + "); merge results of one version");
        return first with
        {
            Models = [.. results.SelectMany(r => r.Models).DistinctBy(m => (m.Name, m.Quality))],
            Images = [.. results.SelectMany(r => r.Images).DistinctBy(i => i.Name)],
            Setups = [.. results.SelectMany(r => r.Setups).DistinctBy(s => s.Name)],
            Created = results.Max(r => r.Created),
        };
    }

    private static EvaluationResults Read(string path)
    {
        try
        {
            var results = ResultsJson.Read(path);
            if (results.Schema != EvaluationResults.SchemaId)
                throw new CliException($"{path}: schema '{results.Schema}' is not {EvaluationResults.SchemaId}");
            return results;
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path}: not a results file of 'compass eval': {ex.Message}", ex);
        }
    }
}
