using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Compass.Training.Training;

/// <summary>
/// The model card written next to every checkpoint and exported weights: what was trained, on what,
/// for how long, and how well it did on the validation crops. Shipped models carry one (docs/method.md#training-objective).
/// </summary>
public sealed record ModelCard
{
    /// <summary>Format tag of the JSON document.</summary>
    public string Format { get; init; } = "compass-model-card/1";

    /// <summary>Training stage.</summary>
    public string Stage { get; init; } = "";

    /// <summary>Model preset.</summary>
    public string Preset { get; init; } = "";

    /// <summary>Rate-distortion trade-off.</summary>
    public double? Lambda { get; init; }

    /// <summary>Quality index when lambda came from the ladder.</summary>
    public int? Quality { get; init; }

    /// <summary>Training data folder.</summary>
    public string? DataFolder { get; init; }

    /// <summary>Usable training images.</summary>
    public int? DataImageCount { get; init; }

    /// <summary>Validation folder.</summary>
    public string? ValidationFolder { get; init; }

    /// <summary>Completed steps.</summary>
    public long Steps { get; init; }

    /// <summary>Planned steps.</summary>
    public long TotalSteps { get; init; }

    /// <summary>Crops per batch.</summary>
    public int BatchSize { get; init; }

    /// <summary>Crop side.</summary>
    public int CropSize { get; init; }

    /// <summary>Learning-rate schedule.</summary>
    public string Schedule { get; init; } = "";

    /// <summary>Seed.</summary>
    public long Seed { get; init; }

    /// <summary>libtorch intra-op threads.</summary>
    public int Threads { get; init; }

    /// <summary>Wall-clock training time, seconds, over all sessions.</summary>
    public double WallSeconds { get; init; }

    /// <summary>The <c>--init</c> values the run started from, or null.</summary>
    public IReadOnlyList<string>? Init { get; init; }

    /// <summary>Objective options that differ from the stage's default, or null.</summary>
    public string? Variant { get; init; }

    /// <summary>CPU training time, seconds, over all sessions.</summary>
    public double CpuSeconds { get; init; }

    /// <summary>Latest validation metrics (bpp, psnr, ...).</summary>
    public IReadOnlyDictionary<string, double>? Validation { get; init; }

    /// <summary>Step of the latest validation.</summary>
    public long? ValidationStep { get; init; }

    /// <summary>Git commit of the training code, if known.</summary>
    public string? GitCommit { get; init; }

    /// <summary>When the card was written.</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The card of a checkpoint.</summary>
    public static ModelCard From(CheckpointHeader h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return new ModelCard
        {
            Stage = h.Run.Stage, Preset = h.Run.Preset, Lambda = h.Run.Lambda, Quality = h.Run.Quality,
            DataFolder = h.Run.DataFolder, DataImageCount = h.Run.DataImageCount, ValidationFolder = h.Run.ValidationFolder,
            Steps = h.Step, TotalSteps = h.TotalSteps, BatchSize = h.Run.BatchSize, CropSize = h.Run.CropSize,
            Schedule = h.Schedule, Seed = h.Seed, Threads = h.Run.Threads, Init = h.Run.Init, Variant = h.Run.Variant,
            WallSeconds = Math.Round(h.WallSeconds, 1), CpuSeconds = Math.Round(h.CpuSeconds, 1),
            Validation = h.Validation, ValidationStep = h.ValidationStep, GitCommit = h.GitCommit, CreatedUtc = h.CreatedUtc,
        };
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A diverging run's metrics can be NaN or infinite; the card still records them.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The card as indented JSON (camelCase, nulls omitted).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a card.</summary>
    public static ModelCard Load(string path) =>
        JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(path), Json) ?? throw new CompassFormatException($"Empty model card '{path}'.");

    /// <summary>Writes the card atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(ToJson() + "\n"));

    /// <summary>The commit checked out in the current directory's git repository, or null.</summary>
    public static string? TryGetGitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (git is null) return null;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            if (!git.WaitForExit(5000)) { git.Kill(); return null; }
            if (git.ExitCode != 0 || commit.Length < 7) return null;
            using var status = Process.Start(new ProcessStartInfo("git", "status --porcelain --untracked-files=no")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            var dirty = status is not null && status.StandardOutput.ReadToEnd().Trim().Length > 0;
            status?.WaitForExit(5000);
            return dirty ? commit + "-dirty" : commit;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }
}
