using System.CommandLine;
using Compass.Evaluation;
using Compass.Onnx;
using static System.FormattableString;

namespace Compass.Cli.Commands;

/// <summary>
/// <c>compass eval --images &lt;folder&gt; --setup two-layer|three-layer|single --out &lt;results.json&gt;</c>: the
/// COMPASS paper's rate-distortion evaluation (real streams, simulcast and single-layer baselines, BD-rate)
/// with one rate point per model and quality; see docs/evaluation.md.
/// </summary>
internal sealed class EvalCommand
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp"];

    private readonly CliContext _context;
    private readonly CommonOptions _common;
    private readonly Option<string> _images = new("--images") { Description = "Folder of test images (e.g. Kodak); evaluated in file-name order.", Required = true, HelpName = "folder" };
    private readonly Option<string[]> _setups = new("--setup")
    {
        Description = "Setup(s): two-layer (BL 0.25, final EL 1.2..2.8x the BL), three-layer (EL1 2x, final EL 2.4..4.0x), single " +
                      "(one layer at the original size, against classic codecs). Repeat or separate with commas.",
        Required = true,
        HelpName = "two-layer|three-layer|single",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<string[]> _models = new("--model", "-m")
    {
        Description = "Model bundle (folder or .zip) or folder of bundles; repeat for a quality ladder. Every quality of every model is one rate point. " +
                      "Default: the model embedded in the tool.",
        HelpName = "path",
    };
    private readonly Option<string[]> _qualities = new("--quality", "-q")
    {
        Description = "Evaluate only these qualities (repeat or separate with commas); a variable-rate model takes any value in its range, e.g. 2.5. Default: every whole-number quality of each model.",
        HelpName = "q",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<int?> _count = new("--count") { Description = "Evaluate only the first N images.", HelpName = "N" };
    private readonly Option<string> _out = new("--out", "-o") { Description = "The results JSON to write (schema compass-eval/1).", Required = true, HelpName = "results.json" };
    private readonly Option<string?> _plots = new("--plots") { Description = "Folder for the RD plots (rd-<setup>.png).", HelpName = "folder" };
    private readonly Option<string?> _markdown = new("--markdown") { Description = "Markdown file for the BD-rate table (paper layout) and mean RD points.", HelpName = "file.md" };
    private readonly Option<string?> _note = new("--note") { Description = "A note stored in the results and shown in the Markdown (e.g. 'smoke example').", HelpName = "text" };

    public EvalCommand(CliContext context, CommonOptions common)
    {
        _context = context;
        _common = common;
        _count.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out int n) && n < 1) r.AddError("--count must be at least 1.");
        });
        _qualities.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                foreach (string q in SplitList(token.Value))
                    if (!Quality.TryParse(q, out _))
                        r.AddError($"--quality '{q}' is not a quality: use a number such as 3 or 2.5.");
        });
        _setups.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                foreach (string name in SplitSetups(token.Value))
                    if (!EvaluationSetup.All.Any(s => s.Name == name))
                        r.AddError($"--setup '{name}' is not one of {string.Join(", ", EvaluationSetup.All.Select(s => s.Name))}.");
        });
        Command = new Command("eval", "Measure rate and PSNR of real streams on a folder of images (paper protocol: COMPASS vs simulcast vs single-layer, BD-rate).")
        {
            _images, _setups, _models, _qualities, _count, _out, _plots, _markdown, _note, common.Json, common.Provider, common.Threads, common.MemoryArena,
        };
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string folder = parse.GetValue(_images)!;
        var setups = parse.GetValue(_setups)!.SelectMany(SplitSetups).Distinct().Select(EvaluationSetup.Parse).ToList();
        var images = ListImages(folder, parse.GetValue(_count));
        string output = parse.GetValue(_out)!;
        using var logging = _common.Logging(parse);

        var paths = parse.GetValue(_models) is { Length: > 0 } given ? given.Select(p => (string?)p).ToList() : [null];
        var loaded = new List<CompassModel>();
        try
        {
            foreach (string? path in paths)
                loaded.Add(_context.LoadModel(new ModelRequest(path, ProviderOf(parse), parse.GetValue(_common.Threads), logging, parse.GetValue(_common.MemoryArena))));
            var wanted = (parse.GetValue(_qualities) ?? []).SelectMany(SplitList).Select(Quality.Parse).Distinct().Order().ToList();
            var models = RatePoints(loaded, wanted);
            var missing = wanted.Where(q => !loaded.Any(m => m.IsAvailable(q))).ToList();
            if (missing.Count > 0 || models.Count == 0)
                throw new CliException($"no model provides quality {string.Join(", ", missing.Count > 0 ? missing : wanted)} (available: {string.Join("; ", loaded.Select(m => m.DescribeQualities()))})");
            _context.Error.WriteLine($"compass: eval: {images.Count} image(s), setup(s) {string.Join(", ", setups)}, {models.Count} model(s): {string.Join(", ", models.Select(m => m.Name))}");

            var progress = new SynchronousProgress<EvaluationProgress>(p => _context.Error.WriteLine(Invariant(
                $"compass: eval: [{p.Setup}] {p.Model} {p.ImageIndex + 1}/{p.ImageCount} {p.Image} {p.Elapsed.TotalSeconds:0.0} s: {p.Summary}")));
            var results = new RdEvaluator().Evaluate(models, images, setups, parse.GetValue(_note), progress, cancellationToken);

            ResultsJson.Write(results, output);
            var written = new List<string> { output };
            if (parse.GetValue(_markdown) is { } markdown)
            {
                MarkdownReport.Write(results, markdown);
                written.Add(markdown);
            }
            if (parse.GetValue(_plots) is { } plots) written.AddRange(Plots.Write(results, plots));

            if (parse.GetValue(_common.Json)) _context.Out.WriteLine(ResultsJson.Serialize(results));
            else _context.Out.Write(MarkdownReport.Render(results));
            _context.Error.WriteLine($"compass: eval: wrote {string.Join(", ", written)}");
            return Task.FromResult(ExitCodes.Success);
        }
        finally
        {
            foreach (var model in loaded) model.Dispose();
        }
    }

    // One rate point per quality of every model (or per wanted quality the model codes: any value in a variable-rate
    // model's range); names from the bundle manifests when the model is an ONNX one.
    private static List<EvaluatedModel> RatePoints(IReadOnlyList<CompassModel> models, IReadOnlyList<Quality> wanted)
    {
        var points = new List<EvaluatedModel>();
        for (int i = 0; i < models.Count; i++)
        {
            var model = models[i];
            var qualities = wanted.Count == 0 ? model.Qualities.Select(q => new Quality(q)) : wanted.Where(model.IsAvailable);
            foreach (var quality in qualities)
            {
                // A ladder has one bundle per quality; a variable-rate bundle serves every quality of its range.
                int level = quality.IsWholeNumber ? model.Qualities.ToList().IndexOf((int)quality.Value) : -1;
                var bundle = model is OnnxCompassModel onnx
                    ? onnx.Bundles[onnx.Bundles.Count == model.Qualities.Count && level >= 0 ? level : 0]
                    : null;
                string name = bundle is null ? $"model{i + 1}-q{quality}"
                    : bundle.Manifest.Rate is null ? bundle.Manifest.Name : $"{bundle.Manifest.Name}-q{quality}";
                if (points.Any(p => p.Name == name)) name = $"{name}#{i + 1}";
                points.Add(new EvaluatedModel(name, model, quality) { Card = bundle?.Manifest.Card });
            }
        }
        return points;
    }

    private static List<string> ListImages(string folder, int? count)
    {
        if (!Directory.Exists(folder)) throw new CliException($"no image folder '{folder}'");
        var files = Directory.EnumerateFiles(folder)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .Take(count ?? int.MaxValue)
            .ToList();
        return files.Count > 0 ? files : throw new CliException($"no images ({string.Join(" ", ImageExtensions)}) in '{folder}'");
    }

    private ExecutionProvider ProviderOf(ParseResult parse) => parse.GetValue(_common.Provider) switch
    {
        "cpu" => ExecutionProvider.Cpu,
        "cuda" => ExecutionProvider.Cuda,
        _ => ExecutionProvider.Auto,
    };

    private static IEnumerable<string> SplitSetups(string value) => SplitList(value).Select(s => s.ToLowerInvariant());

    // "a,b" and repeated options are the same list.
    private static string[] SplitList(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // Progress<T> posts to the thread pool; progress lines must come out in order, on the caller's thread.
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
