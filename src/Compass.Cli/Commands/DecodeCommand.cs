using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Compass.Bitstream;
using Microsoft.Extensions.Logging;
using static System.FormattableString;

namespace Compass.Cli.Commands;

/// <summary>
/// <c>compass decode &lt;file.cmps&gt; -o &lt;folder&gt;</c>: writes <c>layer0.png</c>, <c>layer1.png</c>, ... each as soon as
/// it is decoded, and removes the <c>layerN</c> images of an earlier decode that this one did not write. <c>-o file.png</c>
/// (or .jpg, .webp, or <c>-</c> for a PNG on standard output) writes one layer: <c>--layer k</c>, or the last one. A truncated
/// stream yields the complete layers it holds, a warning and <see cref="ExitCodes.Truncated"/>. Any other stream error after
/// some layers were written is still an error (<see cref="ExitCodes.Failed"/>), but the written layers are reported: in the
/// table and the error line, or in the JSON document next to an error object.
/// </summary>
internal sealed class DecodeCommand
{
    private readonly CliContext _context;
    private readonly CommonOptions _common;
    private readonly Argument<string> _input = new("stream") { Description = "The stream to decode (.cmps); '-' reads it from standard input." };
    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "A folder for layer0.png, layer1.png, ... (created if missing; older layerN images there are removed), or one image file " +
                      "(.png, .jpg, .webp) for one layer, or '-' for that layer as PNG on standard output.",
        Required = true,
        HelpName = "folder|file.png|-",
    };
    private readonly Option<int?> _layers = new("--layers", "-k") { Description = "Decode only the first k layers (1 = base layer). Default: all.", HelpName = "k" };
    private readonly Option<int?> _layer = new("--layer", "-l")
    {
        Description = "With an image file or '-' as output: the layer to write, 0 = base layer (as in the table). Default: the last layer decoded.",
        HelpName = "k",
    };

    public DecodeCommand(CliContext context, CommonOptions common)
    {
        _context = context;
        _common = common;
        _layers.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out int k) && k < 1) r.AddError("--layers must be at least 1.");
        });
        _layer.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out int k) && k < 0) r.AddError("--layer must be 0 or more.");
        });
        Command = new Command("decode", "Decode the layers of a stream into PNG, JPEG or WebP images.") { _input, _output, _layers, _layer, common.MaxMemory, common.Json };
        common.AddModelOptions(Command);
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string input = parse.GetValue(_input)!;
        string output = parse.GetValue(_output)!;
        bool json = parse.GetValue(_common.Json);
        bool toStdout = output == InputFiles.Standard;
        OutputFormat? single = toStdout ? OutputFormat.Png : OutputImages.FormatOf(output);
        int? only = parse.GetValue(_layer);
        if (only is not null && single is null)
            throw new CliException($"--layer writes one image: give -o a file name ending in .png, .jpg or .webp, or '-', instead of the folder {output}");
        if (single is null && File.Exists(output))
            throw new CliException($"{output} is a file: -o takes a folder, or an image name ending in .png, .jpg or .webp for one layer");
        using var logging = _common.Logging(parse);

        await using Stream file = input == InputFiles.Standard ? InputFiles.ReadAll(_context.OpenStandardInput()) : OpenStream(input);
        var header = await StreamErrors.Name(input, () => ScalableDecoder.ReadInfoAsync(file, cancellationToken));
        file.Position = 0;
        if (only is int k && k >= header.Plan.Count)
            throw new CliException($"{input} has {header.Plan.Count} layers (0 to {header.Plan.Count - 1}); --layer {k} is not one of them");
        using var model = _common.LoadModel(parse, logging);
        var decoder = new ScalableDecoder(model, logging.CreateLogger<ScalableDecoder>());
        string folder = single is null ? output : Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!toStdout) Directory.CreateDirectory(folder);

        // With the image on standard output, the table and the JSON document go to standard error.
        TextWriter text = toStdout ? _context.Error : _context.Out;
        string? provider = ModelLoading.ProviderOf(model);
        if (!json)
        {
            text.WriteLine(Invariant($"{input}: quality {header.Quality}, plan {header.Plan}{(provider is null ? "" : $", on {provider}")}"));
            text.WriteLine(Invariant($"{"layer",5}  {"size",11}  {"bytes",9}  {"total bytes",11}  {"bpp",7}  {"total bpp",9}  {"time",9}  file"));
        }
        var layers = new List<DecodeLayerReport>();
        string? warning = null;
        CompassFormatException? failure = null;
        long previousBytes = 0;
        int? maxLayers = only is int wanted ? wanted + 1 : parse.GetValue(_layers);
        using var line = ProgressLine.For(_context, json);
        var options = new DecodeOptions { MaxLayers = maxLayers, MaxMemoryBytes = parse.GetValue(_common.MaxMemory), TileProgress = line };
        int target = Math.Min(maxLayers ?? header.Plan.Count, header.Plan.Count) - 1;
        try
        {
            await foreach (var layer in decoder.DecodeProgressivelyAsync(file, options, cancellationToken))
            {
                using (layer)
                {
                    string? path = null;
                    if (single is null)
                    {
                        path = Path.Combine(folder, $"layer{layer.Index}.png");
                        await OutputImages.WriteAsync(path, OutputImages.Encode(layer.Pixels, layer.IsGrayscale, OutputFormat.Png, layer.Metadata), cancellationToken);
                    }
                    else if (layer.Index == target)
                    {
                        if (layer.HasAlpha && single == OutputFormat.Jpeg)
                            _context.Error.WriteLine($"compass: warning: {output}: JPEG has no alpha channel; the layer's transparency is not written (use .png or .webp to keep it).");
                        byte[] image = OutputImages.Encode(layer.Pixels, layer.IsGrayscale, single.Value, layer.Metadata);
                        if (toStdout)
                        {
                            await using var stdout = _context.OpenStandardOutput();
                            await stdout.WriteAsync(image, cancellationToken);
                            path = InputFiles.Standard;
                        }
                        else
                        {
                            await OutputImages.WriteAsync(output, image, cancellationToken);
                            path = output;
                        }
                    }
                    long bytes = layer.AccumulatedBytes - previousBytes;
                    var row = new DecodeLayerReport(layer.Index, layer.Size.Width, layer.Size.Height, bytes, layer.AccumulatedBytes,
                        bytes * 8.0 / layer.Size.Pixels, layer.BitsPerPixel, layer.Elapsed.TotalMilliseconds, path);
                    previousBytes = layer.AccumulatedBytes;
                    layers.Add(row);
                    line?.Dispose();
                    if (!json)
                        text.WriteLine(Invariant($"{row.Index,5}  {$"{row.Width}x{row.Height}",11}  {row.Bytes,9}  {row.AccumulatedBytes,11}  {row.Bpp,7:0.0000}  {row.TotalBpp,9:0.0000}  {row.Milliseconds,6:0} ms  {path ?? "-"}"));
                }
            }
        }
        catch (CompassFormatException ex) when (ex.IsTruncation && layers.Count > 0 && single is null)
        {
            // The complete layers are already written: report the cut instead of failing.
            warning = $"{input} is truncated: wrote the {layers.Count} complete layer(s) of {header.Plan.Count}. {ex.Message}";
        }
        catch (CompassFormatException ex) when (layers.Count > 0 && single is null)
        {
            // Layers 0..k-1 are on disk: a script must learn which, so report them before failing.
            failure = ex;
        }
        catch (CompassFormatException ex)
        {
            throw new CliException($"{input}: {ex.Message}", ex);
        }
        if (single is null) RemoveStaleLayers(folder, layers.Count);

        if (json)
            JsonReport.Write(text, new DecodeReport(input, output, header.Quality.Value, header.ModelId.ToString(), provider,
                header.Plan.ToString(), header.Plan.Count, warning is not null, warning, ErrorReport(failure, layers.Count, header.Plan.Count), layers));
        if (failure is not null)
        {
            // Not thrown: the JSON document (with its error object) is already out, and a second one would break parsers.
            _context.Error.WriteLine($"compass: error: {CompassCli.OneLine($"{input}: {failure.Message}; wrote {layers.Count} of {header.Plan.Count} layers before the error " +
                $"({string.Join(", ", layers.Select(l => Path.GetFileName(l.File)))} in {folder})")}");
            return ExitCodes.Failed;
        }
        if (warning is null) return ExitCodes.Success;
        _context.Error.WriteLine($"compass: warning: {CompassCli.OneLine(warning)}");
        return ExitCodes.Truncated;
    }

    private static FileStream OpenStream(string path) => Directory.Exists(path)
        ? throw new CliException($"{path} is a folder, not a stream (.cmps)")
        : File.OpenRead(path);

    // A folder that held more layers from an earlier decode must not look as if this stream had them: remove layerN
    // images (N at or past the layers written now) in the formats the tool writes; nothing else in the folder is touched.
    private static void RemoveStaleLayers(string folder, int written)
    {
        foreach (string path in Directory.EnumerateFiles(folder, "layer*"))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (OutputImages.FormatOf(path) is not null && int.TryParse(name.AsSpan(5), System.Globalization.NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                && index >= written && name == $"layer{index}")
                File.Delete(path);
        }
    }

    // The decoder reads layers in order, so the one that failed is the first not written, unless all were (trailing bytes).
    private static DecodeErrorReport? ErrorReport(CompassFormatException? failure, int written, int layerCount) =>
        failure is null ? null : new DecodeErrorReport(failure.Message, failure.ByteOffset, written < layerCount ? written : null);
}

/// <summary>Prefixes stream format errors with the file they came from.</summary>
internal static class StreamErrors
{
    public static async Task<T> Name<T>(string path, Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (CompassFormatException ex)
        {
            throw new CliException($"{path}: {ex.Message}", ex);
        }
    }
}
