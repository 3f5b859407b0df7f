using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Compass.EntropyCoding;
using Compass.Pipeline;

namespace Compass.Bundles;

/// <summary>
/// The <c>entropy.json</c> file of a codec in a model bundle: the integer tables the range coder uses,
/// written by the exporter and loaded as they are by the decoder (never rebuilt from floats, so every
/// machine codes with bit-identical tables).
/// </summary>
/// <remarks>
/// <code>
/// {
///   "formatVersion": 1,
///   "z": { "cdfs": [[0, ..., 65536], ...], "offsets": [-k, ...], "medians": [0.123, ...] },   // one per channel
///   "y": { "scaleTable": [0.11, ...], "cdfs": [[...], ...], "offsets": [...] }                // one per scale
/// }
/// </code>
/// Floats are written in their shortest round-trip form and read back to the identical float32.
/// Every table is validated on load (<see cref="QuantizedCdfTable.Create(IReadOnlyList{int[]}, ReadOnlySpan{int})"/>).
/// </remarks>
[Experimental(ExperimentalApis.Backend)]
public static class EntropyTablesFile
{
    /// <summary>The only version written and read.</summary>
    public const int FormatVersion = 1;

    /// <summary>Serializes the tables of one codec.</summary>
    public static byte[] Write(QuantizedCdfTable zTables, ReadOnlySpan<float> zMedians, QuantizedCdfTable yTables, ReadOnlySpan<float> scaleTable)
    {
        ArgumentNullException.ThrowIfNull(zTables);
        ArgumentNullException.ThrowIfNull(yTables);
        if (zMedians.Length != zTables.Count) throw new ArgumentException($"{zTables.Count} z tables but {zMedians.Length} medians.");
        if (scaleTable.Length != yTables.Count) throw new ArgumentException($"{yTables.Count} y tables but {scaleTable.Length} scales.");
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteNumber("formatVersion", FormatVersion);
            json.WriteStartObject("z");
            WriteTables(json, zTables);
            WriteFloats(json, "medians", zMedians);
            json.WriteEndObject();
            json.WriteStartObject("y");
            WriteFloats(json, "scaleTable", scaleTable);
            WriteTables(json, yTables);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Parses and validates the tables of one codec.</summary>
    /// <param name="utf8">The file's bytes.</param>
    /// <param name="source">Names the file in error messages.</param>
    /// <exception cref="CompassFormatException">Malformed JSON, a missing field or an invalid table.</exception>
    public static CodecTables Read(ReadOnlySpan<byte> utf8, string source)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail(source, "is not a JSON object");
            if (!root.TryGetProperty("formatVersion", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != FormatVersion)
                throw Fail(source, $"must have formatVersion {FormatVersion}");
            var z = Object(root, "z", source);
            var y = Object(root, "y", source);
            var zTables = ReadTables(z, "z", source);
            var medians = Floats(z, "medians", source);
            var yTables = ReadTables(y, "y", source);
            var scaleTable = Floats(y, "scaleTable", source);
            if (scaleTable.Length != yTables.Count)
                throw Fail(source, $"has {yTables.Count} y tables but {scaleTable.Length} scale-table entries");
            return new CodecTables(zTables, medians, yTables, new ScaleTableIndexer(scaleTable));
        }
        catch (JsonException ex)
        {
            throw new CompassFormatException($"Model bundle: {source} is not valid JSON: {ex.Message}", ex);
        }
        catch (CompassFormatException ex) when (!ex.Message.Contains(source, StringComparison.Ordinal))
        {
            throw new CompassFormatException(ex.Kind, $"Model bundle: {source}: {ex.Message}", ex);
        }
    }

    private static void WriteTables(Utf8JsonWriter json, QuantizedCdfTable tables)
    {
        json.WriteStartArray("cdfs");
        for (int t = 0; t < tables.Count; t++)
        {
            json.WriteStartArray();
            foreach (var value in tables.GetCdf(t)) json.WriteNumberValue(value);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteStartArray("offsets");
        for (int t = 0; t < tables.Count; t++) json.WriteNumberValue(tables.GetOffset(t));
        json.WriteEndArray();
    }

    private static void WriteFloats(Utf8JsonWriter json, string name, ReadOnlySpan<float> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            if (!float.IsFinite(value)) throw new ArgumentException($"'{name}' holds a non-finite value.");
            json.WriteNumberValue(value); // shortest round-trip text: parses back to the same float32
        }
        json.WriteEndArray();
    }

    private static QuantizedCdfTable ReadTables(JsonElement parent, string what, string source)
    {
        var cdfsElement = Array(parent, "cdfs", what, source);
        var cdfs = new List<int[]>();
        foreach (var row in cdfsElement.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array) throw Fail(source, $"'{what}.cdfs' must be an array of integer arrays");
            cdfs.Add([.. row.EnumerateArray().Select(e => Int(e, $"{what}.cdfs", source))]);
        }
        var offsets = Array(parent, "offsets", what, source).EnumerateArray().Select(e => Int(e, $"{what}.offsets", source)).ToArray();
        if (cdfs.Count == 0) throw Fail(source, $"'{what}.cdfs' is empty");
        return QuantizedCdfTable.Create(cdfs, offsets);
    }

    private static float[] Floats(JsonElement parent, string name, string source)
    {
        var values = Array(parent, name, "", source).EnumerateArray().Select(e =>
            e.ValueKind == JsonValueKind.Number && e.TryGetSingle(out var f) && float.IsFinite(f) ? f : throw Fail(source, $"'{name}' must hold finite numbers")).ToArray();
        return values;
    }

    private static JsonElement Object(JsonElement parent, string name, string source) =>
        parent.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object ? e : throw Fail(source, $"must have a '{name}' object");

    private static JsonElement Array(JsonElement parent, string name, string what, string source) =>
        parent.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Array ? e : throw Fail(source, $"must have an array '{(what.Length > 0 ? what + "." : "")}{name}'");

    private static int Int(JsonElement e, string what, string source) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) ? v : throw Fail(source, $"'{what}' must hold integers");

    private static CompassFormatException Fail(string source, string what) => new($"Model bundle: {source} {what}.");
}
