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

    /// <summary>Writes a checkpoint and its card atomically, then removes the oldest beyond <see cref="Keep"/>.</summary>
    /// <returns>The checkpoint path.</returns>
    public string Save(Checkpoint checkpoint, ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(card);
        Directory.CreateDirectory(Folder);
        var path = PathFor(checkpoint.Header.Step);
        checkpoint.Save(path);
        card.Save(CardPathFor(path));
        foreach (var old in List().Skip(Keep))
        {
            TryDelete(old);
            TryDelete(CardPathFor(old));
        }
        return path;
    }

    /// <summary>The newest checkpoint that verifies, or null when there is none (corrupt ones are logged and skipped).</summary>
    public Checkpoint? LoadLatest()
    {
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
                _logger.LogWarning("Ignoring checkpoint {Path}: {Reason}", path, ex.Message);
            }
        }
        return null;
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
