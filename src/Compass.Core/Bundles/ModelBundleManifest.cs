using System.Globalization;
using System.Text.Json;

namespace Compass.Bundles;

/// <summary>
/// The parsed <c>manifest.json</c> of a model bundle (format version 1):
/// <code>
/// {
///   "formatVersion": 1,
///   "name": "compass-tiny-q3",
///   "preset": "tiny",
///   "quality": 3,                  // or "qualities": [1, 2, 3, 4] for a variable-rate bundle
///   "lambda": 0.0067,              // optional; or "lambdas": [...] matching "qualities"
///   "files": { "bl/g_s.onnx": "&lt;sha256 hex&gt;", ... },
///   "config": { ... }              // optional: the architecture (codec N/M, LIFF sizes) for shape checks
///   "card": { ... }                // optional, free-form: preset, data, steps, wall time, Kodak RD points
/// }
/// </code>
/// </summary>
public sealed class ModelBundleManifest
{
    /// <summary>The file name of the manifest inside a bundle.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The only format version this reader understands.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Creates a manifest; the loader validates values read from JSON before calling this.</summary>
    public ModelBundleManifest(
        string name,
        string preset,
        IReadOnlyList<int> qualities,
        IReadOnlyList<double> lambdas,
        IReadOnlyDictionary<string, string> files,
        JsonElement? card = null,
        JsonElement? config = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(preset);
        ArgumentNullException.ThrowIfNull(qualities);
        ArgumentNullException.ThrowIfNull(lambdas);
        ArgumentNullException.ThrowIfNull(files);
        if (qualities.Count == 0)
        {
            throw new ArgumentException("A bundle has at least one quality.", nameof(qualities));
        }

        if (lambdas.Count != 0 && lambdas.Count != qualities.Count)
        {
            throw new ArgumentException("Give one lambda per quality, or none.", nameof(lambdas));
        }

        Name = name;
        Preset = preset;
        Qualities = [.. qualities];
        Lambdas = [.. lambdas];
        Files = new SortedDictionary<string, string>(files.ToDictionary(f => f.Key, f => f.Value.ToLowerInvariant()), StringComparer.Ordinal);
        Card = card?.Clone();
        Config = config?.Clone();
    }

    /// <summary>The format version (always <see cref="CurrentFormatVersion"/> once loaded).</summary>
    public int FormatVersion => CurrentFormatVersion;

    /// <summary>The bundle's name.</summary>
    public string Name { get; }

    /// <summary>The architecture preset the networks were built with (e.g. "paper", "tiny").</summary>
    public string Preset { get; }

    /// <summary>The quality levels covered: one for a single-rate bundle, several for a variable-rate one.</summary>
    public IReadOnlyList<int> Qualities { get; }

    /// <summary>The rate-distortion lambda of each quality, when recorded (else empty).</summary>
    public IReadOnlyList<double> Lambdas { get; }

    /// <summary>Relative path (forward slashes) to lower-case SHA-256 hex, sorted by path.</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    /// <summary>The model card: free-form facts about training and measured quality, when present.</summary>
    public JsonElement? Card { get; }

    /// <summary>The architecture the networks were exported with (codec and LIFF sizes), when present.</summary>
    public JsonElement? Config { get; }

    /// <summary>Serializes the manifest as indented UTF-8 JSON (the writer's canonical form).</summary>
    public byte[] ToJsonBytes()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("formatVersion", FormatVersion);
            json.WriteString("name", Name);
            json.WriteString("preset", Preset);
            if (Qualities.Count == 1)
            {
                json.WriteNumber("quality", Qualities[0]);
                if (Lambdas.Count == 1)
                {
                    json.WriteNumber("lambda", Lambdas[0]);
                }
            }
            else
            {
                json.WriteStartArray("qualities");
                foreach (var q in Qualities)
                {
                    json.WriteNumberValue(q);
                }

                json.WriteEndArray();
                if (Lambdas.Count > 0)
                {
                    json.WriteStartArray("lambdas");
                    foreach (var l in Lambdas)
                    {
                        json.WriteNumberValue(l);
                    }

                    json.WriteEndArray();
                }
            }

            json.WriteStartObject("files");
            foreach (var (path, hash) in Files)
            {
                json.WriteString(path, hash);
            }

            json.WriteEndObject();
            if (Config is { } config)
            {
                json.WritePropertyName("config");
                config.WriteTo(json);
            }

            if (Card is { } card)
            {
                json.WritePropertyName("card");
                card.WriteTo(json);
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Parses and validates manifest bytes; every problem is a <see cref="CompassFormatException"/> naming the field.</summary>
    internal static ModelBundleManifest Parse(ReadOnlySpan<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            throw Fail($"is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail("must be a JSON object");
            }

            var version = RequiredInt(root, "formatVersion");
            if (version != CurrentFormatVersion)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"has unsupported formatVersion {version} (this reader knows {CurrentFormatVersion})"), kind: CompassFormatErrorKind.UnsupportedVersion);
            }

            var name = RequiredString(root, "name");
            var preset = RequiredString(root, "preset");

            var hasQuality = root.TryGetProperty("quality", out _);
            var hasQualities = root.TryGetProperty("qualities", out var qualitiesElement);
            if (hasQuality == hasQualities)
            {
                throw Fail("must have exactly one of 'quality' (int) or 'qualities' (array of int)");
            }

            List<int> qualities = hasQuality ? [RequiredInt(root, "quality")] : [.. Array(qualitiesElement, "qualities").Select(e => Int(e, "qualities[]"))];
            if (qualities.Count == 0)
            {
                throw Fail("'qualities' must not be empty");
            }

            var lambdas = new List<double>();
            if (root.TryGetProperty("lambda", out var lambdaElement))
            {
                lambdas.Add(Number(lambdaElement, "lambda"));
            }

            if (root.TryGetProperty("lambdas", out var lambdasElement))
            {
                lambdas.AddRange(Array(lambdasElement, "lambdas").Select(e => Number(e, "lambdas[]")));
            }

            if (lambdas.Count != 0 && lambdas.Count != qualities.Count)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"has {lambdas.Count} lambda value(s) for {qualities.Count} quality level(s)"));
            }

            if (!root.TryGetProperty("files", out var filesElement) || filesElement.ValueKind != JsonValueKind.Object)
            {
                throw Fail("must have a 'files' object (relative path -> sha256 hex)");
            }

            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in filesElement.EnumerateObject())
            {
                ValidatePath(file.Name);
                if (file.Value.ValueKind != JsonValueKind.String || !IsSha256Hex(file.Value.GetString()!))
                {
                    throw Fail($"'files': the hash of '{file.Name}' must be 64 hex digits (SHA-256)");
                }

                if (!files.TryAdd(file.Name, file.Value.GetString()!))
                {
                    throw Fail($"'files' lists '{file.Name}' twice");
                }
            }

            if (files.Count == 0)
            {
                throw Fail("'files' is empty");
            }

            JsonElement? card = null;
            if (root.TryGetProperty("card", out var cardElement))
            {
                if (cardElement.ValueKind != JsonValueKind.Object)
                {
                    throw Fail("'card' must be a JSON object");
                }

                card = cardElement.Clone();
            }

            JsonElement? config = null;
            if (root.TryGetProperty("config", out var configElement))
            {
                if (configElement.ValueKind != JsonValueKind.Object)
                {
                    throw Fail("'config' must be a JSON object");
                }

                config = configElement.Clone();
            }

            return new ModelBundleManifest(name, preset, qualities, lambdas, files, card, config);
        }
    }

    /// <summary>A bundle path must be relative, use '/', and stay inside the bundle.</summary>
    internal static void ValidatePath(string path)
    {
        var ok = path.Length > 0
            && !path.Contains('\\')
            && !path.StartsWith('/')
            && !path.Contains(':')
            && path != FileName
            && path.Split('/').All(part => part.Length > 0 && part != "." && part != "..");
        if (!ok)
        {
            throw Fail($"'files': '{path}' is not a valid bundle path (relative, '/'-separated, inside the bundle, not the manifest)");
        }
    }

    private static bool IsSha256Hex(string s) => s.Length == 64 && s.All(char.IsAsciiHexDigit);

    private static int RequiredInt(JsonElement root, string property) =>
        root.TryGetProperty(property, out var e) ? Int(e, property) : throw Fail($"is missing '{property}'");

    private static string RequiredString(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out var e))
        {
            throw Fail($"is missing '{property}'");
        }

        return e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } s ? s : throw Fail($"'{property}' must be a non-empty string");
    }

    private static int Int(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) ? v : throw Fail($"'{what}' must be an integer");

    private static double Number(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Fail($"'{what}' must be a number");

    private static JsonElement.ArrayEnumerator Array(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : throw Fail($"'{what}' must be an array");

    private static CompassFormatException Fail(string what, Exception? inner = null, CompassFormatErrorKind kind = CompassFormatErrorKind.Malformed)
    {
        var message = $"Model bundle: {FileName} {what}.";
        return inner is null ? new CompassFormatException(kind, message) : new CompassFormatException(kind, message, inner);
    }
}
