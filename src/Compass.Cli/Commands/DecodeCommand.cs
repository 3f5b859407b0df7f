using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Compass.Bitstream;
using Compass.ImageSharp;
using Microsoft.Extensions.Logging;
using static System.FormattableString;

namespace Compass.Cli.Commands;

/// <summary>
/// <c>compass decode &lt;file.cmps&gt; -o &lt;folder&gt;</c>: writes <c>layer0.png</c>, <c>layer1.png</c>, ... each as soon as
/// it is decoded. A truncated stream yields the complete layers it holds, a warning and <see cref="ExitCodes.Truncated"/>.
/// Any other stream error after some layers were written is still an error (<see cref="ExitCodes.Failed"/>), but the
/// written layers are reported: in the table and the error line, or in the JSON document next to an error object.
/// </summary>
internal sealed class DecodeCommand
{
    private readonly CliContext _context;
    private readonly CommonOptions _common;
    private readonly Argument<string> _input = new("stream") { Description = "The stream to decode (.cmps)." };
    private readonly Option<string> _output = new("--output", "-o") { Description = "Folder for layer0.png, layer1.png, ... (created if missing).", Required = true, HelpName = "folder" };
    private readonly Option<int?> _layers = new("--layers", "-k") { Description = "Decode only the first k layers (1 = base layer). Default: all.", HelpName = "k" };

    public DecodeCommand(CliContext context, CommonOptions common)
    {
        _context = context;
        _common = common;
        _layers.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out int k) && k < 1) r.AddError("--layers must be at least 1.");
        });
        Command = new Command("decode", "Decode the layers of a stream into PNG images.") { _input, _output, _layers, common.MaxMemory, common.Json };
        common.AddModelOptions(Command);
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string input = parse.GetValue(_input)!;
        string folder = parse.GetValue(_output)!;
        bool json = parse.GetValue(_common.Json);
        using var logging = _common.Logging(parse);

        await using var file = File.OpenRead(input);
        var header = await StreamErrors.Name(input, () => ScalableDecoder.ReadInfoAsync(file, cancellationToken));
        file.Position = 0;
        using var model = _common.LoadModel(parse, logging);
        var decoder = new ScalableDecoder(model, logging.CreateLogger<ScalableDecoder>());
        Directory.CreateDirectory(folder);

        string? provider = ModelLoading.ProviderOf(model);
        if (!json)
        {
            _context.Out.WriteLine(Invariant($"{input}: quality {header.Quality}, plan {header.Plan}{(provider is null ? "" : $", on {provider}")}"));
            _context.Out.WriteLine(Invariant($"{"layer",5}  {"size",11}  {"bytes",9}  {"total bytes",11}  {"bpp",7}  {"time",9}  file"));
        }
        var layers = new List<DecodeLayerReport>();
        string? warning = null;
        CompassFormatException? failure = null;
        long previousBytes = 0;
        var options = new DecodeOptions { MaxLayers = parse.GetValue(_layers), MaxMemoryBytes = parse.GetValue(_common.MaxMemory) };
        try
        {
            await foreach (var layer in decoder.DecodeProgressivelyAsync(file, options, cancellationToken))
            {
                using (layer)
                {
                    string path = Path.Combine(folder, $"layer{layer.Index}.png");
                    await layer.SaveAsPngAsync(path, cancellationToken);
                    var row = new DecodeLayerReport(layer.Index, layer.Size.Width, layer.Size.Height, layer.AccumulatedBytes - previousBytes,
                        layer.AccumulatedBytes, layer.BitsPerPixel, layer.Elapsed.TotalMilliseconds, path);
                    previousBytes = layer.AccumulatedBytes;
                    layers.Add(row);
                    if (!json)
                        _context.Out.WriteLine(Invariant($"{row.Index,5}  {$"{row.Width}x{row.Height}",11}  {row.Bytes,9}  {row.AccumulatedBytes,11}  {row.Bpp,7:0.0000}  {row.Milliseconds,6:0} ms  {path}"));
                }
            }
        }
        catch (CompassFormatException ex) when (ex.IsTruncation && layers.Count > 0)
        {
            // The complete layers are already written: report the cut instead of failing.
            warning = $"{input} is truncated: wrote the {layers.Count} complete layer(s) of {header.Plan.Count}. {ex.Message}";
        }
        catch (CompassFormatException ex) when (layers.Count > 0)
        {
            // Layers 0..k-1 are on disk: a script must learn which, so report them before failing.
            failure = ex;
        }
        catch (CompassFormatException ex)
        {
            throw new CliException($"{input}: {ex.Message}", ex);
        }

        if (json)
            JsonReport.Write(_context.Out, new DecodeReport(input, folder, header.Quality.Value, header.ModelId.ToString(), provider,
                header.Plan.ToString(), header.Plan.Count, warning is not null, warning, ErrorReport(failure, layers.Count, header.Plan.Count), layers));
        if (failure is not null)
            throw new CliException($"{input}: {failure.Message}; wrote {layers.Count} of {header.Plan.Count} layers before the error " +
                $"({string.Join(", ", layers.Select(l => Path.GetFileName(l.File)))} in {folder})", failure);
        if (warning is null) return ExitCodes.Success;
        _context.Error.WriteLine($"compass: warning: {CompassCli.OneLine(warning)}");
        return ExitCodes.Truncated;
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
