using System.CommandLine;
using System.Globalization;
using Compass.Bitstream;
using static System.FormattableString;

namespace Compass.Cli.Commands;

/// <summary>
/// <c>compass info &lt;file.cmps&gt;</c>: header fields, per-layer bytes and CRC status, without a model. Exit code
/// 0 for a valid stream, <see cref="ExitCodes.Truncated"/> for an intact but truncated one, 1 for a corrupt one.
/// </summary>
internal sealed class InfoCommand
{
    private readonly CliContext _context;
    private readonly CommonOptions _common;
    private readonly Argument<string> _input = new("stream") { Description = "The stream to describe (.cmps)." };

    public InfoCommand(CliContext context, CommonOptions common)
    {
        _context = context;
        _common = common;
        Command = new Command("info", "Describe a stream: plan, quality, model identity, per-layer bytes and CRC status (needs no model).") { _input, common.Json };
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string input = parse.GetValue(_input)!;
        if (Directory.Exists(input)) throw new CliException($"{input} is a folder, not a stream (.cmps)");
        await using var file = File.OpenRead(input);
        var summary = await BitstreamInspector.InspectAsync(file, limits: null, cancellationToken);
        if (summary.Header is not { } header)
            throw new CliException($"{input}: {summary.Error?.Message ?? "no header"}", summary.Error);

        var layers = summary.Layers.Select(l => new InfoLayerReport(l.Index, l.Size.Width, l.Size.Height,
            header.LayerRates[l.Index].Quality.Value, header.LayerRates[l.Index].Step, l.Offset, l.ChunkBytes,
            l.ZBytes, l.YBytes, l.BitsPerPixel, l.CrcValid)).ToList();
        var report = new InfoReport(input, header.Version, header.EntropyPathVersion, header.Quality.Value, header.ModelId.ToString(), header.Plan.ToString(),
            header.Flags.HasFlag(BitstreamFlags.Grayscale), header.Flags.HasFlag(BitstreamFlags.Alpha), MetadataReport(header, summary),
            summary.HeaderBytes, summary.HeaderCrcValid, summary.TotalBytes, summary.TrailingBytes, summary.IsValid, summary.IsTruncated,
            summary.IsValid ? null : summary.Error?.Message ?? "CRC mismatch", layers);
        if (parse.GetValue(_common.Json)) JsonReport.Write(_context.Out, report);
        else WriteTable(_context.Out, report);

        if (summary.IsValid) return ExitCodes.Success;
        // Truncated but intact so far: the complete layers decode, so this is a warning, as in decode.
        bool intact = summary.HeaderCrcValid && summary.Layers.All(l => l.CrcValid);
        if (summary.IsTruncated && intact)
        {
            _context.Error.WriteLine($"compass: warning: {CompassCli.OneLine($"{input} is truncated: {summary.Layers.Count} of {header.Plan.Count} layers complete. {report.Error}")}");
            return ExitCodes.Truncated;
        }
        // Not thrown: the report is already out, and with --json a second (error) document would break parsers.
        _context.Error.WriteLine($"compass: error: {CompassCli.OneLine($"{input}: {report.Error}")}");
        return ExitCodes.Failed;
    }

    // Null without the metadata flag; with it, the entries found (none when the chunk could not be read: see the error).
    private static InfoMetadataReport? MetadataReport(BitstreamHeader header, BitstreamSummary summary)
    {
        if (!header.Flags.HasFlag(BitstreamFlags.Metadata)) return null;
        var m = summary.Metadata;
        var entries = new List<InfoMetadataEntry>();
        if (m.IccProfile is { } icc) entries.Add(new InfoMetadataEntry("icc", icc.LongLength));
        if (m.Exif is { } exif) entries.Add(new InfoMetadataEntry("exif", exif.LongLength));
        if (m.Xmp is { } xmp) entries.Add(new InfoMetadataEntry("xmp", xmp.LongLength));
        return new InfoMetadataReport(summary.MetadataChunkBytes, entries);
    }

    private static void WriteTable(TextWriter o, InfoReport r)
    {
        var c = CultureInfo.InvariantCulture;
        o.WriteLine(Invariant($"{r.Input}: Compass format v{r.FormatVersion}, entropy path v{r.EntropyPathVersion}"));
        o.WriteLine(Invariant($"plan     {r.Plan} ({r.Layers.Count} of {r.Plan.Split(',').Length} layers present)"));
        o.WriteLine(Invariant($"quality  {r.Quality}"));
        o.WriteLine(Invariant($"model    {r.ModelId}"));
        o.WriteLine(Invariant($"header   {r.HeaderBytes} bytes, CRC {(r.HeaderCrcValid ? "ok" : "MISMATCH")}"));
        o.WriteLine(Invariant($"colour   {(r.Grayscale ? "grayscale" : "RGB")}, alpha {(r.Alpha ? "yes (an alpha plane in every layer)" : "no")}"));
        string metadata = r.Metadata switch
        {
            null => "none",
            { Entries.Count: 0 } m => Invariant($"chunk of {m.ChunkBytes} bytes, unreadable"),
            { } m => Invariant($"{string.Join(", ", m.Entries.Select(e => Invariant($"{e.Type.ToUpperInvariant()} {e.Bytes} bytes")))} (chunk {m.ChunkBytes} bytes)"),
        };
        o.WriteLine($"metadata {metadata}");
        o.WriteLine(Invariant($"{"layer",5}  {"size",11}  {"quality",10}  {"step",8}  {"bytes",9}  {"z bytes",8}  {"y bytes",8}  {"bpp",7}  CRC"));
        foreach (var l in r.Layers)
            o.WriteLine(Invariant($"{l.Index,5}  {$"{l.Width}x{l.Height}",11}  {l.Quality,10:0.########}  {l.Step,8:0.####}  {l.Bytes,9}  {l.ZBytes?.ToString(c) ?? "?",8}  {l.YBytes?.ToString(c) ?? "?",8}  {l.Bpp,7:0.0000}  {(l.CrcValid ? "ok" : "MISMATCH")}"));
        o.WriteLine(Invariant($"total    {r.TotalBytes} bytes{(r.TrailingBytes > 0 ? $" ({r.TrailingBytes} trailing)" : "")}: {(r.Valid ? "valid" : r.Truncated ? "truncated" : "CORRUPT")}"));
    }
}
