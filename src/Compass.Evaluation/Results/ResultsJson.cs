using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Compass.Evaluation;

/// <summary>
/// Reads and writes <see cref="EvaluationResults"/> as indented camelCase JSON (schema <c>compass-eval/1</c>); a path
/// ending in <c>.gz</c> is gzip-compressed JSON (per-image rows of a full Kodak evaluation are megabytes of text).
/// </summary>
public static class ResultsJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A PSNR of identical images is +Infinity: written as the string "Infinity" rather than failing.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The results as JSON text.</summary>
    /// <param name="results">The results.</param>
    public static string Serialize(EvaluationResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return JsonSerializer.Serialize(results, Options);
    }

    /// <summary>Writes the results to <paramref name="path"/> (through a temporary file, so a failure leaves no partial file); gzip when it ends in <c>.gz</c>.</summary>
    /// <param name="results">The results.</param>
    /// <param name="path">The file to write.</param>
    public static void Write(EvaluationResults results, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        WriteAtomically(path, Serialize(results) + "\n");
    }

    /// <summary>Reads results written by <see cref="Write"/> (gzip when the path ends in <c>.gz</c>).</summary>
    /// <param name="path">The file to read.</param>
    /// <exception cref="JsonException">The file is not a results document.</exception>
    public static EvaluationResults Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        if (IsGzip(path))
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, Encoding.UTF8);
            text = reader.ReadToEnd();
        }
        else
        {
            text = File.ReadAllText(path);
        }

        return JsonSerializer.Deserialize<EvaluationResults>(text, Options)
            ?? throw new JsonException($"'{path}' holds no evaluation results.");
    }

    internal static void WriteAtomically(string path, string text)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        string partial = path + ".part";
        if (IsGzip(path))
        {
            using var file = File.Create(partial);
            using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        else
        {
            File.WriteAllText(partial, text);
        }

        File.Move(partial, path, overwrite: true);
    }

    private static bool IsGzip(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
}
