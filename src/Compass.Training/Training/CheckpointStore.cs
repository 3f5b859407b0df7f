using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Compass.Training.Training;

/// <summary>
/// The checkpoint folder of a run: <c>step-00001000.ckpt</c> files, each with its model card
/// <c>step-00001000.card.json</c>, all written atomically; the newest <see cref="Keep"/> are kept.
/// Resuming takes the newest checkpoint that verifies, so even a damaged file only costs one interval.
/// </summary>
public sealed class CheckpointStore
{
    private const string Prefix = "step-";
    private const string Extension = ".ckpt";
    private readonly ILogger _logger;

    /// <summary>Opens (and creates) a checkpoint folder.</summary>
    public CheckpointStore(string folder, int keep = 3, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), "Keep at least one checkpoint.");
        Folder = Path.GetFullPath(folder);
        Keep = keep;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The folder, as a full path.</summary>
    public string Folder { get; }

    /// <summary>How many checkpoints are kept.</summary>
    public int Keep { get; }

    /// <summary>The checkpoint path of a step.</summary>
    public string PathFor(long step) => Path.Combine(Folder, $"{Prefix}{step:D8}{Extension}");

    /// <summary>The model-card path that goes with a checkpoint path.</summary>
    public static string CardPathFor(string checkpointPath) => Path.ChangeExtension(checkpointPath, ".card.json");

    /// <summary>Checkpoint files present, newest step first (temporary leftovers ignored).</summary>
    public IReadOnlyList<string> List()
    {
        if (!Directory.Exists(Folder)) return [];
        return Directory.EnumerateFiles(Folder, Prefix + "*" + Extension)
            .Where(f => !AtomicFile.IsTemporary(f))
            .Select(f => (Path: f, Step: ParseStep(f)))
            .Where(x => x.Step >= 0)
            .OrderByDescending(x => x.Step)
            .Select(x => x.Path)
            .ToArray();
    }

    /// <summary>Suffix given to a checkpoint that failed verification, so that it never outranks a good one.</summary>
    public const string CorruptSuffix = ".corrupt";

    /// <summary>Checkpoints set aside as corrupt (<c>step-*.ckpt.corrupt</c>), newest step first.</summary>
    public IReadOnlyList<string> ListCorrupt()
    {
        if (!Directory.Exists(Folder)) return [];
        return Directory.EnumerateFiles(Folder, Prefix + "*" + Extension + CorruptSuffix)
            .OrderByDescending(f => f, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Why the checkpoints skipped by the last <see cref="LoadLatest"/> were unusable, one line each.</summary>
    public IReadOnlyList<string> LastProblems { get; private set; } = [];

    /// <summary>
    /// Writes a checkpoint and its card atomically, then removes the oldest beyond <see cref="Keep"/>
    /// (never the one just written) and temporary files left by processes that no longer run.
    /// </summary>
    /// <returns>The checkpoint path.</returns>
    public string Save(Checkpoint checkpoint, ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(card);
        Directory.CreateDirectory(Folder);
        var path = PathFor(checkpoint.Header.Step);
        checkpoint.Save(path);
        card.Save(CardPathFor(path));
        foreach (var old in List().Where(p => p != path).Skip(Keep - 1))
        {
            TryDelete(old);
            TryDelete(CardPathFor(old));
        }
        RemoveStaleTemporaries();
        return path;
    }

    /// <summary>
    /// The newest checkpoint that verifies, or null when there is none. Each one that fails verification is
    /// renamed to <c>*.ckpt.corrupt</c> (kept for inspection, never listed or pruned as a checkpoint again),
    /// and its reason logged and kept in <see cref="LastProblems"/>.
    /// </summary>
    public Checkpoint? LoadLatest()
    {
        var problems = new List<string>();
        LastProblems = problems;
        foreach (var path in List())
        {
            try
            {
                var checkpoint = Checkpoint.Load(path);
                _logger.LogInformation("Resuming from {Path} (step {Step})", path, checkpoint.Header.Step);
                return checkpoint;
            }
            catch (CompassFormatException ex)
            {
                problems.Add($"{Path.GetFileName(path)}: {ex.Message}");
                var aside = path + CorruptSuffix;
                try
                {
                    File.Move(path, aside, overwrite: true);
                    _logger.LogWarning("Checkpoint {Path} is unusable ({Reason}); set aside as {Aside}", path, ex.Message, Path.GetFileName(aside));
                }
                catch (IOException move)
                {
                    _logger.LogWarning("Checkpoint {Path} is unusable ({Reason}) and could not be set aside: {Move}", path, ex.Message, move.Message);
                }
            }
        }
        return null;
    }

    /// <summary>Deletes the temporary files of atomic writes whose writing process no longer runs.</summary>
    /// <returns>How many were deleted.</returns>
    public int RemoveStaleTemporaries()
    {
        if (!Directory.Exists(Folder)) return 0;
        int removed = 0;
        foreach (var temp in Directory.EnumerateFiles(Folder, "*" + AtomicFile.TempMarker + "*"))
        {
            var owner = AtomicFile.OwnerProcessId(temp);
            if (owner is null || owner == Environment.ProcessId || IsRunning(owner.Value)) continue;
            try
            {
                File.Delete(temp);
                removed++;
                _logger.LogInformation("Removed {Path}, left by process {Pid} that no longer runs", Path.GetFileName(temp), owner);
            }
            catch (IOException ex)
            {
                _logger.LogWarning("Could not remove stale temporary file {Path}: {Reason}", temp, ex.Message);
            }
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static long ParseStep(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return name.StartsWith(Prefix, StringComparison.Ordinal)
               && long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step)
            ? step : -1;
    }

    private void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException ex) { _logger.LogWarning("Could not delete old checkpoint file {Path}: {Reason}", path, ex.Message); }
    }
}
