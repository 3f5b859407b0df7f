using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Compass.Evaluation;
using Compass.Training.Training;

namespace Compass.Training.Cli.Recipes;

/// <summary>
/// One line of <c>docs/training/experiments.jsonl</c>: the recipe of a single-layer training run, what it
/// cost (steps, wall and CPU seconds) and what it reached on Kodak with real bitstreams, compared with the
/// classic-codec curves measured on this machine.
/// </summary>
internal static class RecipeRecord
{
    /// <summary>The classic-codec curves and their keys in the file.</summary>
    public static readonly (string Key, AnchorCurve Curve)[] AnchorKeys =
        [("jpeg-420", ClassicCodecAnchors.Jpeg), ("jpeg2000", ClassicCodecAnchors.Jpeg2000), ("webp", ClassicCodecAnchors.WebP)];

    public static JsonObject Create(string label, string? note, CheckpointHeader header, int? n, int? m, int concurrentRuns,
        IReadOnlyList<ImagePoint> kodak, string kodakFolder, string checkpointPath, double? initCpuSeconds = null)
    {
        double bpp = kodak.Average(p => p.Bpp), psnr = kodak.Average(p => p.Psnr);
        var anchors = new JsonObject();
        var point = new RdPoint(bpp, psnr);
        foreach (var (key, curve) in AnchorKeys)
            anchors[key] = new JsonObject
            {
                ["dbAtEqualRate"] = Round(curve.DbAtEqualRate(point), 3),
                ["ratePercentAtEqualPsnr"] = Round(curve.RatePercentAtEqualPsnr(point), 2),
            };
        var run = header.Run;
        return new JsonObject
        {
            ["recorded"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["label"] = label,
            ["note"] = note,
            ["git"] = header.GitCommit,
            ["machine"] = new JsonObject
            {
                ["cores"] = Environment.ProcessorCount,
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["concurrentTrainingRuns"] = concurrentRuns,
            },
            ["recipe"] = new JsonObject
            {
                ["stage"] = run.Stage.NameOf(),
                ["preset"] = run.Preset,
                ["N"] = n,
                ["M"] = m,
                ["lambda"] = run.Lambda,
                ["quality"] = run.Quality,
                ["schedule"] = header.Schedule,
                ["crop"] = run.CropSize,
                ["batch"] = run.BatchSize,
                ["threads"] = run.Threads,
                ["seed"] = header.Seed,
                ["budget"] = header.Budget,
                ["data"] = run.DataFolder is null ? null : Path.GetFileName(Path.TrimEndingDirectorySeparator(run.DataFolder)),
                ["dataImages"] = run.DataImageCount,
                ["variant"] = run.Variant,
            },
            ["training"] = new JsonObject
            {
                ["steps"] = header.Step,
                ["wallSeconds"] = Math.Round(header.WallSeconds, 1),
                ["cpuSeconds"] = Math.Round(header.CpuSeconds, 1),
                ["wallHours"] = Math.Round(header.WallSeconds / 3600, 4),
                ["cpuHours"] = Math.Round(header.CpuSeconds / 3600, 4),
                // What the --init weights cost (from their checkpoint headers): totalCpuHours is the cost of the result.
                ["initCpuHours"] = initCpuSeconds is { } init ? Math.Round(init / 3600, 4) : null,
                ["totalCpuHours"] = Math.Round((header.CpuSeconds + (initCpuSeconds ?? 0)) / 3600, 4),
            },
            ["kodak"] = new JsonObject
            {
                ["folder"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(kodakFolder)),
                ["images"] = kodak.Count,
                ["bpp"] = Math.Round(bpp, 5),
                ["psnr"] = Math.Round(psnr, 4),
                ["perImage"] = new JsonArray(kodak.Select(p => (JsonNode)new JsonObject
                {
                    ["image"] = p.Image,
                    ["bytes"] = p.Bytes,
                    ["psnr"] = Math.Round(p.Psnr, 4),
                }).ToArray()),
            },
            ["vsAnchors"] = anchors,
            ["checkpoint"] = checkpointPath,
        };
    }

    /// <summary>Appends <paramref name="record"/> as one line (the file and its folder are created when missing).</summary>
    public static void Append(string jsonl, JsonObject record)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(jsonl));
        if (folder is not null) Directory.CreateDirectory(folder);
        File.AppendAllText(jsonl, record.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) + "\n");
    }

    /// <summary>Reads every record of a JSONL file (blank lines skipped).</summary>
    public static List<JsonObject> ReadAll(string jsonl) =>
        File.ReadLines(jsonl).Where(l => !string.IsNullOrWhiteSpace(l))
            .Select(l => JsonNode.Parse(l) as JsonObject ?? throw new JsonException($"'{jsonl}': a line is not a JSON object."))
            .ToList();

    /// <summary>
    /// Other compass-train training processes running now (from /proc; 0 where /proc is absent), recorded
    /// because concurrent runs share the cores and change the wall time.
    /// </summary>
    public static int OtherTrainingRuns()
    {
        if (!Directory.Exists("/proc")) return 0;
        int self = Environment.ProcessId, count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == self) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmd.Contains("compass-train", StringComparison.Ordinal) && (cmd.Contains(" train ", StringComparison.Ordinal) || cmd.Contains(" bench-recipe ", StringComparison.Ordinal)))
                    count++;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return count;
    }

    private static double? Round(double? v, int digits) => v is { } x ? Math.Round(x, digits) : null;
}
