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
    private readonly Argument<string> _image = new("image") { Description = "Input image (PNG, JPEG, WebP, GIF, BMP, TIFF, TGA or PBM; the first frame of an animation); its own size is the largest possible layer." };
    private readonly Option<string> _output = new("--output", "-o") { Description = "The stream to write (.cmps).", Required = true, HelpName = "file.cmps" };
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
                      "A variable-rate model takes any value in its range in steps of 1/256 (e.g. 2.5); a single-rate model set only its levels, the same for every layer. " +
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
        Command = new Command("encode", "Encode an image into a multi-layer scalable stream.") { _image, _output, _scales, _sizes, _quality, _targetBytes, _targetBpp, _layerBytes, _maxPixels, _maxFrames, common.MaxMemory, common.Json };
        common.AddModelOptions(Command);
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string input = parse.GetValue(_image)!;
        string output = parse.GetValue(_output)!;
        bool json = parse.GetValue(_common.Json);
        using var logging = _common.Logging(parse);

        // Cheap checks first: bad options, a bad image or plan fail before the networks load.
        var qualities = parse.GetValue(_quality) is { } qualityText ? ParseQualities(qualityText) : null;
        var layerBudgets = parse.GetValue(_layerBytes) is { } budgetText ? ParseBudgets(budgetText) : null;
        long? targetBytes = parse.GetValue(_targetBytes);
        double? targetBpp = parse.GetValue(_targetBpp);
        int rateOptions = (qualities is null ? 0 : 1) + (targetBytes is null ? 0 : 1) + (targetBpp is null ? 0 : 1) + (layerBudgets is null ? 0 : 1);
        if (rateOptions > 1)
            throw new CliException("use one of --quality, --target-bytes, --target-bpp and --layer-bytes, not several.");
        long maxPixels = parse.GetValue(_maxPixels);
        var image = InputImages.Read(input, new ImageInputLimits { MaxPixels = maxPixels, MaxFrames = parse.GetValue(_maxFrames) });
        var plan = PlanArguments.Resolve(parse.GetValue(_scales), parse.GetValue(_sizes), image.Width, image.Height);
        using var model = _common.LoadModel(parse, logging);
        var encoder = new ScalableEncoder(model, logging.CreateLogger<ScalableEncoder>());
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
            MaxInputPixels = maxPixels,
            MaxMemoryBytes = parse.GetValue(_common.MaxMemory),
        };

        // Write next to the target and move it into place at the end: an error or Ctrl+C leaves no partial stream.
        string partial = output + ".part";
        EncodeResult result;
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

        // A layer's bytes are what it adds to the stream (layer 0 carries the header), as decode reports them.
        var layers = result.Layers.Select(l => new EncodeLayerReport(l.Index, l.Size.Width, l.Size.Height,
            result.LayerRates[l.Index].Quality.Value, result.LayerRates[l.Index].Step,
            l.AccumulatedBytes - (l.Index == 0 ? 0 : result.Layers[l.Index - 1].AccumulatedBytes), l.AccumulatedBytes, l.BitsPerPixel,
            l.Elapsed.TotalMilliseconds)).ToList();
        long? target = targetBytes ?? (targetBpp is { } bpp ? (long)Math.Floor(bpp * plan.Final.Pixels / 8) : layerBudgets?[^1]);
        var report = new EncodeReport(input, output, image.Width, image.Height, result.Quality.Value, model.Description,
            result.ModelId.ToString(), ModelLoading.ProviderOf(model), plan.ToString(), result.TotalBytes, target, layers);
        if (json) JsonReport.Write(_context.Out, report);
        else WriteTable(_context.Out, report);
        return ExitCodes.Success;
    }

    private static void WriteTable(TextWriter o, EncodeReport r)
    {
        bool mixed = r.Layers.Any(l => l.Quality != r.Quality);
        o.WriteLine(Invariant($"{r.Input} ({r.Width}x{r.Height}) -> {r.Output}: quality {(mixed ? string.Join(",", r.Layers.Select(l => l.Quality)) : r.Quality)}, {r.Layers.Count} layers, model {r.Model}{(r.Provider is null ? "" : $" on {r.Provider}")}"));
        o.WriteLine(Invariant($"{"layer",5}  {"size",11}  {"quality",10}  {"bytes",9}  {"total bytes",11}  {"bpp",7}  {"time",9}"));
        foreach (var l in r.Layers)
            o.WriteLine(Invariant($"{l.Index,5}  {$"{l.Width}x{l.Height}",11}  {l.Quality,10:0.########}  {l.Bytes,9}  {l.AccumulatedBytes,11}  {l.Bpp,7:0.0000}  {l.Milliseconds,6:0} ms"));
        o.WriteLine(Invariant($"wrote {r.TotalBytes} bytes (bytes: what each layer adds, the header in layer 0; bpp: total bytes up to the layer over its pixels)"));
        if (r.TargetBytes is { } target)
            o.WriteLine(Invariant($"target {target} bytes: achieved {r.TotalBytes} bytes ({100.0 * r.TotalBytes / target:0.0}% of the target)"));
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
