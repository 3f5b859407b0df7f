using System.Text.Json;
using System.Text.Json.Serialization;

namespace Compass.Cli;

// The --json documents. Field names are part of the tool's interface: scripts parse them.

/// <summary>The result of <c>compass encode</c>.</summary>
internal sealed record EncodeReport(string Input, string Output, int Width, int Height, double Quality, string Model, string ModelId,
    string? Provider, string Plan, long TotalBytes, long? TargetBytes, IReadOnlyList<EncodeLayerReport> Layers)
{
    [JsonPropertyOrder(-1)]
    public string Command => "encode";
}

/// <summary>
/// One layer of <see cref="EncodeReport"/>: <see cref="Bytes"/> and <see cref="Bpp"/> are what the layer adds (layer 0 includes
/// the header), <see cref="AccumulatedBytes"/> and <see cref="TotalBpp"/> the stream up to and including it, over its pixels.
/// </summary>
internal sealed record EncodeLayerReport(int Index, int Width, int Height, double Quality, double Step, long Bytes, long AccumulatedBytes, double Bpp,
    double TotalBpp, double Milliseconds);

/// <summary>The result of <c>compass encode</c> with several inputs: the streams written and the inputs that failed.</summary>
internal sealed record EncodeBatchReport(string Output, int Succeeded, int Failed, long TotalBytes, IReadOnlyList<EncodeReport> Files,
    IReadOnlyList<FileErrorReport> Errors)
{
    [JsonPropertyOrder(-1)]
    public string Command => "encode";
}

/// <summary>An input that failed, and why.</summary>
internal sealed record FileErrorReport(string Input, string Message);

/// <summary>The document <c>--json</c> prints when a command fails before it has a result.</summary>
internal sealed record ErrorReport(string Command, int ExitCode, string Error);

/// <summary>
/// The result of <c>compass decode</c>. <see cref="Error"/> is set when a layer failed after earlier layers were written
/// (those are in <see cref="Layers"/>); a truncated stream is a <see cref="Warning"/> instead.
/// </summary>
internal sealed record DecodeReport(string Input, string Output, double Quality, string ModelId, string? Provider, string Plan,
    int LayersInStream, bool Truncated, string? Warning, DecodeErrorReport? Error, IReadOnlyList<DecodeLayerReport> Layers)
{
    [JsonPropertyOrder(-1)]
    public string Command => "decode";
}

/// <summary>
/// Why <c>compass decode</c> stopped early: the stream's error message, its byte offset when known, and the layer being
/// decoded (null when every layer was decoded and the problem came after them, e.g. trailing bytes).
/// </summary>
internal sealed record DecodeErrorReport(string Message, long? ByteOffset, int? Layer);

/// <summary>
/// One layer of <see cref="DecodeReport"/>: the file written (null when the layer was decoded only as the base of a later one)
/// and what it cost; <see cref="Bpp"/> and <see cref="TotalBpp"/> as in <see cref="EncodeLayerReport"/>.
/// </summary>
internal sealed record DecodeLayerReport(int Index, int Width, int Height, long Bytes, long AccumulatedBytes, double Bpp, double TotalBpp,
    double Milliseconds, string? File);

/// <summary>The result of <c>compass info</c>.</summary>
internal sealed record InfoReport(string Input, int FormatVersion, int EntropyPathVersion, double Quality, string ModelId, string Plan,
    bool Grayscale, bool Alpha, InfoMetadataReport? Metadata,
    int HeaderBytes, bool HeaderCrcValid, long TotalBytes, long TrailingBytes, bool Valid, bool Truncated, string? Error,
    IReadOnlyList<InfoLayerReport> Layers)
{
    [JsonPropertyOrder(-1)]
    public string Command => "info";
}

/// <summary>The metadata chunk of <see cref="InfoReport"/> (null there when the stream has none): its size and each entry's.</summary>
internal sealed record InfoMetadataReport(long ChunkBytes, IReadOnlyList<InfoMetadataEntry> Entries);

/// <summary>One metadata entry: <c>icc</c>, <c>exif</c> or <c>xmp</c>, and its bytes.</summary>
internal sealed record InfoMetadataEntry(string Type, long Bytes);

/// <summary>One chunk of <see cref="InfoReport"/>; z/y bytes are null when the chunk's CRC does not match.</summary>
internal sealed record InfoLayerReport(int Index, int Width, int Height, double Quality, double Step, long Offset, long Bytes, int? ZBytes, int? YBytes, double Bpp, bool CrcValid);

/// <summary>Writes reports as indented camelCase JSON.</summary>
internal static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static void Write<T>(TextWriter output, T report) => output.WriteLine(JsonSerializer.Serialize(report, Options));
}
