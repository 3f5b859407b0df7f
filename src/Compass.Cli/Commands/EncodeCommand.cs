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
    private readonly Option<int?> _quality = new("--quality", "-q") { Description = "Quality level, 1 (fewest bits) to the highest the model provides. Default: the model's default.", HelpName = "q" };
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
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out int q) && !Quality.IsValid(q)) r.AddError($"--quality: {Quality.RangeMessage(q)}");
        });
        _maxPixels.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && long.TryParse(r.Tokens[^1].Value, out long n) && n < 1) r.AddError("--max-pixels must be at least 1.");
        });
        _maxFrames.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out int n) && n < 1) r.AddError("--max-frames must be at least 1.");
        });
        Command = new Command("encode", "Encode an image into a multi-layer scalable stream.") { _image, _output, _scales, _sizes, _quality, _maxPixels, _maxFrames, common.MaxMemory, common.Json };
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

        // Cheap checks first: a bad image or plan fails before the networks load.
        long maxPixels = parse.GetValue(_maxPixels);
        var source = InputImages.Read(input, new ImageInputLimits { MaxPixels = maxPixels, MaxFrames = parse.GetValue(_maxFrames) });
        var image = source.Pixels;
        if (source.WasReducedTo8Bits)
            _context.Error.WriteLine($"compass: warning: {input} has {source.SourceBitsPerChannel} bits per channel; Compass codes 8, so the finer levels are rounded away.");
        var plan = PlanArguments.Resolve(parse.GetValue(_scales), parse.GetValue(_sizes), image.Width, image.Height);
        using var model = _common.LoadModel(parse, logging);
        var encoder = new ScalableEncoder(model, logging.CreateLogger<ScalableEncoder>());
        var options = new EncodeOptions { Quality = parse.GetValue(_quality) is int q ? new Quality(q) : null, MaxInputPixels = maxPixels, MaxMemoryBytes = parse.GetValue(_common.MaxMemory) };

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
            l.AccumulatedBytes - (l.Index == 0 ? 0 : result.Layers[l.Index - 1].AccumulatedBytes), l.AccumulatedBytes, l.BitsPerPixel,
            l.Elapsed.TotalMilliseconds)).ToList();
        var report = new EncodeReport(input, output, image.Width, image.Height, result.Quality, model.Description,
            result.ModelId.ToString(), ModelLoading.ProviderOf(model), plan.ToString(), result.TotalBytes, layers);
        if (json) JsonReport.Write(_context.Out, report);
        else WriteTable(_context.Out, report);
        return ExitCodes.Success;
    }

    private static void WriteTable(TextWriter o, EncodeReport r)
    {
        o.WriteLine(Invariant($"{r.Input} ({r.Width}x{r.Height}) -> {r.Output}: quality {r.Quality}, {r.Layers.Count} layers, model {r.Model}{(r.Provider is null ? "" : $" on {r.Provider}")}"));
        o.WriteLine(Invariant($"{"layer",5}  {"size",11}  {"bytes",9}  {"total bytes",11}  {"bpp",7}  {"time",9}"));
        foreach (var l in r.Layers)
            o.WriteLine(Invariant($"{l.Index,5}  {$"{l.Width}x{l.Height}",11}  {l.Bytes,9}  {l.AccumulatedBytes,11}  {l.Bpp,7:0.0000}  {l.Milliseconds,6:0} ms"));
        o.WriteLine(Invariant($"wrote {r.TotalBytes} bytes (bytes: what each layer adds, the header in layer 0; bpp: total bytes up to the layer over its pixels)"));
    }
}
