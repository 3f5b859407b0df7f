using System.CommandLine;
using System.Globalization;
using Compass.Imaging;
using Microsoft.Extensions.Logging;
using static System.FormattableString;

namespace Compass.Cli.Commands;

/// <summary><c>compass encode &lt;image&gt; -o &lt;file.cmps&gt;</c>: one scalable stream holding every layer of a plan.</summary>
internal sealed class EncodeCommand
{
    private readonly CliContext _context;
    private readonly CommonOptions _common;
    private readonly Argument<string[]> _images = new("images")
    {
        Description = "Input images (PNG, JPEG, WebP, GIF, BMP, TIFF, TGA or PBM; the first frame of an animation); each image's own size is its largest " +
                      "possible layer. Several files or a pattern such as 'photos/*.jpg' encode each into the -o folder; '-' reads one image from standard input.",
        Arity = ArgumentArity.OneOrMore,
    };
    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "The stream to write (.cmps; missing folders are created), '-' for standard output, or the folder for the streams of several inputs (name.cmps each).",
        Required = true,
        HelpName = "file.cmps|folder|-",
    };
    private readonly Option<string> _metadata = CreateChoice("--metadata", "all", "What the stream carries of the image's metadata: all (ICC colour profile, EXIF, XMP), icc (the colour profile only, " +
        "dropping camera, place and dates), or none (colours of a non-sRGB image then display shifted; a warning says so). Decode writes it back into the images.", "all", "icc", "none");
    private readonly Option<string> _alpha = CreateChoice("--alpha", "keep", "An image with transparency: keep its alpha (coded losslessly in each layer), drop it (the colours of " +
        "transparent pixels are coded as they are), or flatten it onto white.", "keep", "drop", "flatten");
    private readonly Option<int?> _jobs = new("--jobs", "-j") { Description = "Images encoded at once with several inputs. Default: half the processors.", HelpName = "n" };
    private readonly Option<string?> _scales = new("--scales")
    {
        Description = "Layer sizes as fractions of the image, smallest first, e.g. 0.25,0.5,1 (1 = the image itself; '--scales 1' makes a single-layer stream). " +
                      "Default: 0.25,0.5,1, without the layers whose sides would be below 16 px.",
        HelpName = "s1,s2,...",
    };
    private readonly Option<string?> _sizes = new("--sizes") { Description = "Explicit layer sizes, smallest first, e.g. 192x128,384x256,768x512.", HelpName = "WxH,..." };
    private readonly Option<string?> _quality = new("--quality", "-q")
    {
        Description = "Quality, higher = more bits: one value for every layer, or one per layer, base first (e.g. 2,3,3.5). " +
                      "A variable-rate model takes any value in its range in steps of 1/256 (the embedded model: 0.25 to 8; e.g. 2.5); a single-rate model set only its levels, the same for every layer. " +
                      "Default: the model's default.",
        HelpName = "q[,q...]",
    };
    private readonly Option<long?> _targetBytes = new("--target-bytes")
    {
        Description = "Rate control: the largest stream in bytes. The quality (one for all layers) is searched with real entropy coding; the stream never exceeds the target " +
                      "and lands within 3% under it where the model's range allows. Fails, naming the smallest achievable size, when even the lowest quality is over.",
        HelpName = "n",
    };
    private readonly Option<double?> _targetBpp = new("--target-bpp")
    {
        Description = "Rate control as --target-bytes, the target given in bits per pixel of the largest layer (total bits / its pixels).",
        HelpName = "x",
    };
    private readonly Option<string?> _layerBytes = new("--layer-bytes")
    {
        Description = "Rate control per layer: for each layer, base first, the most bytes a decoder reads to decode up to it (header and layers 0..k, as 'total bytes' shows), " +
                      "e.g. 2000,8000,30000. A variable-rate model searches each layer's quality in turn.",
        HelpName = "b1,b2,...",
    };
    private readonly Option<int> _maxFrames = new("--max-frames")
    {
        Description = $"Refuse an input image with more frames (animation frames, pages) than this, read from its header; only the first frame is encoded. Default: {ImageInputLimits.DefaultMaxFrames}.",
        DefaultValueFactory = _ => ImageInputLimits.DefaultMaxFrames,
        HelpName = "n",
    };
    private readonly Option<long> _maxPixels = new("--max-pixels")
    {
        Description = $"Refuse an input image of more pixels than this, read from its header before any pixel is decoded (encode time and memory grow with the pixels). Default: {ImageInputLimits.DefaultMaxPixels} (8192 x 8192).",
        DefaultValueFactory = _ => ImageInputLimits.DefaultMaxPixels,
        HelpName = "n",
    };

    public EncodeCommand(CliContext context, CommonOptions common)
    {
        _context = context;
        _common = common;
        _quality.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && ParseQualities(r.Tokens[^1].Value) is null)
                r.AddError($"--quality: '{r.Tokens[^1].Value}' is not a quality or a comma-separated list of them (numbers from 1/256 to 255.99 in steps of 1/256, e.g. 3 or 2,3,3.5).");
        });
        _targetBytes.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && long.TryParse(r.Tokens[^1].Value, out long n) && n < 1) r.AddError("--target-bytes must be at least 1.");
        });
        _targetBpp.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && double.TryParse(r.Tokens[^1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && !(x > 0 && double.IsFinite(x)))
                r.AddError("--target-bpp must be a positive number.");
        });
        _layerBytes.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && ParseBudgets(r.Tokens[^1].Value) is null)
                r.AddError($"--layer-bytes: '{r.Tokens[^1].Value}' is not a comma-separated list of positive byte counts (e.g. 2000,8000,30000).");
        });
        _maxPixels.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && long.TryParse(r.Tokens[^1].Value, out long n) && n < 1) r.AddError("--max-pixels must be at least 1.");
        });
        _maxFrames.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out int n) && n < 1) r.AddError("--max-frames must be at least 1.");
        });
        _jobs.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out int n) && n < 1) r.AddError("--jobs must be at least 1.");
        });
        Command = new Command("encode", "Encode images into multi-layer scalable streams.") { _images, _output, _jobs, _metadata, _alpha, _scales, _sizes, _quality, _targetBytes, _targetBpp, _layerBytes, _maxPixels, _maxFrames, common.MaxMemory, common.Json };
        common.AddModelOptions(Command);
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string[] arguments = parse.GetValue(_images)!;
        string output = parse.GetValue(_output)!;
        bool json = parse.GetValue(_common.Json);
        var inputs = InputFiles.Expand(arguments);
        bool batch = inputs.Count > 1 || arguments.Any(InputFiles.IsPattern) || Directory.Exists(output);
        if (!batch) return await EncodeOneAsync(parse, inputs[0], output, json, cancellationToken);
        return await EncodeManyAsync(parse, inputs, output, json, cancellationToken);
    }

    private async Task<int> EncodeOneAsync(ParseResult parse, string input, string output, bool json, CancellationToken cancellationToken)
    {
        using var logging = _common.Logging(parse);
        var rate = ParseRate(parse);
        var source = ReadImage(parse, input);
        // Cheap checks first: a bad image or plan fails before the networks load.
        var plan = ResolvePlan(parse, input, source.Pixels);
        using var model = _common.LoadModel(parse, logging);
        EncodeReport report;
        using (var line = ProgressLine.For(_context, json))
            report = await EncodeAsync(parse, model, logging, input, source, plan, output, rate, cancellationToken, line);
        // With the stream on standard output, the report goes to standard error.
        TextWriter text = output == InputFiles.Standard ? _context.Error : _context.Out;
        if (json) JsonReport.Write(text, report);
        else WriteTable(text, report, parse.GetValue(_common.Verbose));
        return ExitCodes.Success;
    }

    // Several inputs into a folder: each file is one line (or one entry of the JSON document); a file that fails does
    // not stop the others, and the exit code says whether any failed.
    private async Task<int> EncodeManyAsync(ParseResult parse, IReadOnlyList<string> inputs, string folder, bool json, CancellationToken cancellationToken)
    {
        if (folder == InputFiles.Standard || File.Exists(folder))
            throw new CliException($"with several inputs, -o names a folder for the streams, not {(folder == InputFiles.Standard ? "standard output" : $"the file {folder}")}");
        if (inputs.Contains(InputFiles.Standard))
            throw new CliException("standard input ('-') is one image: give it alone");
        var targets = inputs.Select(i => Path.Combine(folder, Path.GetFileNameWithoutExtension(i) + ".cmps")).ToList();
        if (targets.GroupBy(t => t, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } clash)
            throw new CliException($"two inputs would both write {clash.Key}: {string.Join(", ", inputs.Where((_, i) => targets[i].Equals(clash.Key, StringComparison.OrdinalIgnoreCase)))}");
        Directory.CreateDirectory(folder);

        var rate = ParseRate(parse);
        using var logging = _common.Logging(parse);
        using var model = _common.LoadModel(parse, logging);
        var results = new (EncodeReport? Report, string? Error)[inputs.Count];
        var gate = new object();
        int jobs = parse.GetValue(_jobs) is int j and > 0 ? j : Math.Max(1, Environment.ProcessorCount / 2);
        await Parallel.ForEachAsync(Enumerable.Range(0, inputs.Count), new ParallelOptions { MaxDegreeOfParallelism = jobs, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                try
                {
                    var source = ReadImage(parse, inputs[i]);
                    var plan = ResolvePlan(parse, inputs[i], source.Pixels);
                    results[i] = (await EncodeAsync(parse, model, logging, inputs[i], source, plan, targets[i], rate, token), null);
                }
                catch (Exception e) when (CompassCli.IsInputError(e))
                {
                    results[i] = (null, CompassCli.OneLine(CompassCli.MessageOf(e)));
                }
                if (json) return;
                lock (gate)
                {
                    var (r, error) = results[i];
                    _context.Out.WriteLine(r is null
                        ? $"{inputs[i]}: error: {error}"
                        : Invariant($"{r.Input} -> {r.Output}: {r.Width}x{r.Height}, {r.Layers.Count} layers, {r.TotalBytes} bytes, {r.Layers[^1].TotalBpp:0.0000} total bpp, {r.Layers.Sum(l => l.Milliseconds) / 1000:0.0} s"));
                }
            });

        int failed = results.Count(r => r.Report is null);
        long bytes = results.Sum(r => r.Report?.TotalBytes ?? 0);
        if (json)
        {
            JsonReport.Write(_context.Out, new EncodeBatchReport(folder, inputs.Count - failed, failed, bytes,
                results.Where(r => r.Report is not null).Select(r => r.Report!).ToList(),
                results.Select((r, i) => (r, i)).Where(x => x.r.Error is not null).Select(x => new FileErrorReport(inputs[x.i], x.r.Error!)).ToList()));
        }
        else
        {
            _context.Out.WriteLine(Invariant($"encoded {inputs.Count - failed} of {inputs.Count} images into {folder} ({bytes} bytes){(failed > 0 ? $"; {failed} failed" : "")}"));
        }
        if (failed > 0) _context.Error.WriteLine($"compass: error: {failed} of {inputs.Count} images failed (see their lines above)");
        return failed == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }

    private SourceImage ReadImage(ParseResult parse, string input)
    {
        var limits = new ImageInputLimits { MaxPixels = parse.GetValue(_maxPixels), MaxFrames = parse.GetValue(_maxFrames) };
        SourceImage source;
        if (input == InputFiles.Standard)
        {
            using var stdin = InputFiles.ReadAll(_context.OpenStandardInput());
            source = InputImages.Read(stdin, "standard input", limits);
        }
        else
        {
            source = InputImages.Read(input, limits);
        }
        if (parse.GetValue(_metadata) == "none" && source.Metadata.IccProfile is { } icc && !InputImages.IsSrgbProfile(icc))
            _context.Error.WriteLine($"compass: warning: {input} has a colour profile that is not sRGB; --metadata none drops it, so its colours will display shifted.");
        if (source.WasReducedTo8Bits)
            _context.Error.WriteLine($"compass: warning: {input} has {source.SourceBitsPerChannel} bits per channel; Compass codes 8, so the finer levels are rounded away.");
        return source;
    }

    private LayerPlan ResolvePlan(ParseResult parse, string input, PixelBuffer image)
    {
        return PlanArguments.Resolve(parse.GetValue(_scales), parse.GetValue(_sizes), image.Width, image.Height);
    }

    private async Task<EncodeReport> EncodeAsync(ParseResult parse, CompassModel model, Microsoft.Extensions.Logging.ILoggerFactory logging,
        string input, SourceImage source, LayerPlan plan, string output, RateOptions rate, CancellationToken cancellationToken, IProgress<TileProgress>? tiles = null)
    {
        var image = source.Pixels;
        var encoder = new ScalableEncoder(model, logging.CreateLogger<ScalableEncoder>());
        var (qualities, layerBudgets, targetBytes, targetBpp) = rate;
        if (qualities is { Count: > 1 } && qualities.Count != plan.Count)
            throw new CliException(Invariant($"--quality gives {qualities.Count} qualities for a plan of {plan.Count} layers ({plan}); give one, or one per layer."));
        if (layerBudgets is not null && layerBudgets.Count != plan.Count)
            throw new CliException(Invariant($"--layer-bytes gives {layerBudgets.Count} budgets for a plan of {plan.Count} layers ({plan}); give one per layer."));
        var options = new EncodeOptions
        {
            Quality = qualities is [var one] ? one : null,
            LayerQualities = qualities is { Count: > 1 } ? qualities : null,
            TargetBytes = targetBytes,
            TargetBitsPerPixel = targetBpp,
            LayerByteBudgets = layerBudgets,
            MaxInputPixels = parse.GetValue(_maxPixels),
            MaxMemoryBytes = parse.GetValue(_common.MaxMemory),
            Metadata = source.Metadata.Select(MetadataSelectionOf(parse.GetValue(_metadata))),
            Alpha = parse.GetValue(_alpha) switch { "drop" => AlphaMode.Drop, "flatten" => AlphaMode.Flatten, _ => AlphaMode.Keep },
            TileProgress = tiles,
        };

        EncodeResult result;
        if (output == InputFiles.Standard)
        {
            await using var stdout = _context.OpenStandardOutput();
            result = await encoder.EncodeAsync(image, plan, stdout, options, progress: null, cancellationToken);
        }
        else
        {
            // Write next to the target and move it into place at the end: an error or Ctrl+C leaves no partial stream.
            if (Path.GetDirectoryName(Path.GetFullPath(output)) is { } folder) Directory.CreateDirectory(folder);
            string partial = output + ".part";
            try
            {
                await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
                    result = await encoder.EncodeAsync(image, plan, file, options, progress: null, cancellationToken);
                File.Move(partial, output, overwrite: true);
            }
            catch
            {
                File.Delete(partial);
                throw;
            }
        }

        // A layer's bytes are what it adds to the stream (layer 0 carries the header), as decode reports them.
        var layers = result.Layers.Select(l =>
        {
            long bytes = l.AccumulatedBytes - (l.Index == 0 ? 0 : result.Layers[l.Index - 1].AccumulatedBytes);
            return new EncodeLayerReport(l.Index, l.Size.Width, l.Size.Height, result.LayerRates[l.Index].Quality.Value, result.LayerRates[l.Index].Step,
                bytes, l.AccumulatedBytes, bytes * 8.0 / l.Size.Pixels, l.BitsPerPixel, l.Elapsed.TotalMilliseconds);
        }).ToList();
        long? target = targetBytes ?? (targetBpp is { } bpp ? (long)Math.Floor(bpp * plan.Final.Pixels / 8) : layerBudgets?[^1]);
        return new EncodeReport(input, output, image.Width, image.Height, result.Quality.Value, model.Description,
            result.ModelId.ToString(), ModelLoading.ProviderOf(model), plan.ToString(), result.TotalBytes, target, layers);
    }

    private static MetadataSelection MetadataSelectionOf(string? value) => value switch
    {
        "none" => MetadataSelection.None,
        "icc" => MetadataSelection.IccOnly,
        _ => MetadataSelection.All,
    };

    private static Option<string> CreateChoice(string name, string fallback, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = $"{description} Default: {fallback}.", DefaultValueFactory = _ => fallback, HelpName = string.Join('|', values) };
        option.AcceptOnlyFromAmong(values);
        return option;
    }

    private static void WriteTable(TextWriter o, EncodeReport r, bool verbose)
    {
        bool mixed = r.Layers.Any(l => l.Quality != r.Quality);
        o.WriteLine(Invariant($"{r.Input} ({r.Width}x{r.Height}) -> {r.Output}: quality {(mixed ? string.Join(",", r.Layers.Select(l => l.Quality)) : r.Quality)}, {r.Layers.Count} layers, model {r.ModelId}{(r.Provider is null ? "" : $" on {r.Provider}")}"));
        if (verbose) o.WriteLine($"model: {r.Model}");
        o.WriteLine(Invariant($"{"layer",5}  {"size",11}  {"quality",10}  {"bytes",9}  {"total bytes",11}  {"bpp",7}  {"total bpp",9}  {"time",9}"));
        foreach (var l in r.Layers)
            o.WriteLine(Invariant($"{l.Index,5}  {$"{l.Width}x{l.Height}",11}  {l.Quality,10:0.########}  {l.Bytes,9}  {l.AccumulatedBytes,11}  {l.Bpp,7:0.0000}  {l.TotalBpp,9:0.0000}  {l.Milliseconds,6:0} ms"));
        o.WriteLine(Invariant($"wrote {r.TotalBytes} bytes (bytes, bpp: what each layer adds, the header in layer 0; total: the stream up to the layer, which is what decoding it reads)"));
        if (r.TargetBytes is { } target)
            o.WriteLine(Invariant($"target {target} bytes: achieved {r.TotalBytes} bytes ({100.0 * r.TotalBytes / target:0.0}% of the target)"));
    }

    /// <summary>The rate options, parsed and checked for conflicts before anything is read or loaded.</summary>
    private readonly record struct RateOptions(IReadOnlyList<Quality>? Qualities, IReadOnlyList<long>? LayerBudgets, long? TargetBytes, double? TargetBpp);

    private RateOptions ParseRate(ParseResult parse)
    {
        var qualities = parse.GetValue(_quality) is { } qualityText ? ParseQualities(qualityText) : null;
        var layerBudgets = parse.GetValue(_layerBytes) is { } budgetText ? ParseBudgets(budgetText) : null;
        long? targetBytes = parse.GetValue(_targetBytes);
        double? targetBpp = parse.GetValue(_targetBpp);
        int rateOptions = (qualities is null ? 0 : 1) + (targetBytes is null ? 0 : 1) + (targetBpp is null ? 0 : 1) + (layerBudgets is null ? 0 : 1);
        if (rateOptions > 1)
            throw new CliException("use one of --quality, --target-bytes, --target-bpp and --layer-bytes, not several.");
        return new RateOptions(qualities, layerBudgets, targetBytes, targetBpp);
    }

    /// <summary>"3" or "2,3,3.5": invariant-culture numbers, each a valid quality; null when any is not.</summary>
    internal static IReadOnlyList<Quality>? ParseQualities(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var qualities = new List<Quality>(parts.Length);
        foreach (var part in parts)
        {
            if (!Quality.TryParse(part, out var q)) return null;
            qualities.Add(q);
        }
        return qualities;
    }

    /// <summary>"2000,8000,30000": positive integers; null when any is not.</summary>
    internal static IReadOnlyList<long>? ParseBudgets(string text)
    {
        var budgets = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long b) || b < 1) return null;
            budgets.Add(b);
        }
        return budgets;
    }
}
