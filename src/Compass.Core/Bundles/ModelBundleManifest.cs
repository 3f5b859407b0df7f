using System.Globalization;
using System.Text.Json;

namespace Compass.Bundles;

/// <summary>
/// The parsed <c>manifest.json</c> of a model bundle. Format 1 (networks trained for discrete qualities):
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
/// Format 2 (a variable-rate model: one set of networks at step 1, any quality between its first and last anchor)
/// has no "quality"/"qualities"/"lambda"/"lambdas" keys and instead
/// <code>
///   "rate": { "anchors": [ { "quality": 1, "lambda": 0.0018, "baseLogStep": 0.61, "residualLogStep": 0.55 }, ... ] }
/// </code>
/// (see <see cref="RateAnchors"/>).
/// </summary>
public sealed class ModelBundleManifest
{
    /// <summary>The file name of the manifest inside a bundle.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The newest format version this reader understands (it reads every version from 1 to this one).</summary>
    public const int CurrentFormatVersion = VariableRateFormatVersion;

    /// <summary>The format of single-rate bundles: discrete qualities ("quality" or "qualities").</summary>
    public const int SingleRateFormatVersion = 1;

    /// <summary>The format of variable-rate bundles: a "rate" object with quality anchors (<see cref="Rate"/>).</summary>
    public const int VariableRateFormatVersion = 2;

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
        FormatVersion = SingleRateFormatVersion;
    }

    /// <summary>Creates a format-2 (variable-rate) manifest; the loader validates values read from JSON before calling this.</summary>
    /// <param name="name">The bundle's name.</param>
    /// <param name="preset">The architecture preset.</param>
    /// <param name="rate">The rate anchors (already validated by their constructor).</param>
    /// <param name="files">Relative path to SHA-256 hex.</param>
    /// <param name="card">The model card, when present.</param>
    /// <param name="config">The architecture, when present.</param>
    public ModelBundleManifest(
        string name,
        string preset,
        RateAnchors rate,
        IReadOnlyDictionary<string, string> files,
        JsonElement? card = null,
        JsonElement? config = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(preset);
        ArgumentNullException.ThrowIfNull(rate);
        ArgumentNullException.ThrowIfNull(files);
        Name = name;
        Preset = preset;
        Rate = rate;
        Qualities = [];
        Lambdas = [];
        Files = new SortedDictionary<string, string>(files.ToDictionary(f => f.Key, f => f.Value.ToLowerInvariant()), StringComparer.Ordinal);
        Card = card?.Clone();
        Config = config?.Clone();
        FormatVersion = VariableRateFormatVersion;
    }

    /// <summary>The format version: <see cref="SingleRateFormatVersion"/> or <see cref="VariableRateFormatVersion"/> (when <see cref="Rate"/> is set).</summary>
    public int FormatVersion { get; }

    /// <summary>The rate anchors of a variable-rate (format 2) bundle; null for a single-rate (format 1) one.</summary>
    public RateAnchors? Rate { get; }

    /// <summary>The bundle's name.</summary>
    public string Name { get; }

    /// <summary>The architecture preset the networks were built with (e.g. "paper", "tiny").</summary>
    public string Preset { get; }

    /// <summary>The discrete quality levels of a format-1 bundle (one, or several for an old-style multi-quality one); empty in format 2 (see <see cref="Rate"/>).</summary>
    public IReadOnlyList<int> Qualities { get; }

    /// <summary>The rate-distortion lambda of each of <see cref="Qualities"/>, when recorded (else empty; format 2 keeps lambdas in its anchors).</summary>
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
            if (Rate is { } rate)
            {
                WriteRate(json, rate);
            }
            else if (Qualities.Count == 1)
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

    private static void WriteRate(Utf8JsonWriter json, RateAnchors rate)
    {
        json.WriteStartObject("rate");
        json.WriteStartArray("anchors");
        foreach (var anchor in rate.Anchors)
        {
            json.WriteStartObject();
            json.WriteNumber("quality", anchor.Quality);
            if (anchor.Lambda is { } lambda)
            {
                json.WriteNumber("lambda", lambda);
            }

            json.WriteNumber("baseLogStep", anchor.BaseLogStep);
            json.WriteNumber("residualLogStep", anchor.ResidualLogStep);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
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
            if (version is < SingleRateFormatVersion or > CurrentFormatVersion)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"has unsupported formatVersion {version} (this reader knows {SingleRateFormatVersion} to {CurrentFormatVersion})"), kind: CompassFormatErrorKind.UnsupportedVersion);
            }

            var name = RequiredString(root, "name");
            var preset = RequiredString(root, "preset");
            if (version == VariableRateFormatVersion)
            {
                var rate = ParseRate(root);
                return new ModelBundleManifest(name, preset, rate, ParseFiles(root), OptionalObject(root, "card"), OptionalObject(root, "config"));
            }

            if (root.TryGetProperty("rate", out _))
            {
                throw Fail("has 'rate', which needs formatVersion 2");
            }

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

            return new ModelBundleManifest(name, preset, qualities, lambdas, ParseFiles(root), OptionalObject(root, "card"), OptionalObject(root, "config"));
        }
    }

    private static Dictionary<string, string> ParseFiles(JsonElement root)
    {
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

        return files.Count == 0 ? throw Fail("'files' is empty") : files;
    }

    private static JsonElement? OptionalObject(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out var element))
        {
            return null;
        }

        return element.ValueKind == JsonValueKind.Object ? element.Clone() : throw Fail($"'{property}' must be a JSON object");
    }

    private static RateAnchors ParseRate(JsonElement root)
    {
        foreach (var singleRateKey in (string[])["quality", "qualities", "lambda", "lambdas"])
        {
            if (root.TryGetProperty(singleRateKey, out _))
            {
                throw Fail($"has '{singleRateKey}', which formatVersion 2 replaces with 'rate'");
            }
        }

        if (!root.TryGetProperty("rate", out var rate) || rate.ValueKind != JsonValueKind.Object)
        {
            throw Fail("must have a 'rate' object (formatVersion 2)");
        }

        if (!rate.TryGetProperty("anchors", out var anchorsElement))
        {
            throw Fail("'rate' is missing 'anchors'");
        }

        var anchors = new List<RateAnchor>();
        int i = 0;
        foreach (var a in Array(anchorsElement, "rate.anchors"))
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"rate.anchors[{i}]");
            if (a.ValueKind != JsonValueKind.Object)
            {
                throw Fail($"'{at}' must be a JSON object");
            }

            double? lambda = a.TryGetProperty("lambda", out var l) ? Number(l, at + ".lambda") : null;
            anchors.Add(new RateAnchor(
                RequiredNumber(a, "quality", at),
                lambda,
                RequiredNumber(a, "baseLogStep", at),
                RequiredNumber(a, "residualLogStep", at)));
            i++;
        }

        // RateAnchors.Problem names the field as "'anchors[i].x'"; the manifest spells it "rate.anchors[i].x".
        return RateAnchors.Problem(anchors) is { } problem
            ? throw Fail(problem.Replace("'anchors", "'rate.anchors", StringComparison.Ordinal))
            : new RateAnchors(anchors);
    }

    private static double RequiredNumber(JsonElement element, string property, string at) =>
        element.TryGetProperty(property, out var e) ? Number(e, $"{at}.{property}") : throw Fail($"'{at}' is missing '{property}'");

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
        e.ValueKind == JsonValueKind.Number && double.IsFinite(e.GetDouble()) ? e.GetDouble() : throw Fail($"'{what}' must be a finite number");

    private static JsonElement.ArrayEnumerator Array(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : throw Fail($"'{what}' must be an array");

    private static CompassFormatException Fail(string what, Exception? inner = null, CompassFormatErrorKind kind = CompassFormatErrorKind.Malformed)
    {
        var message = $"Model bundle: {FileName} {what}.";
        return inner is null ? new CompassFormatException(kind, message) : new CompassFormatException(kind, message, inner);
    }
}
