using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Compass.Training.Training;

/// <summary>
/// The model card written next to every checkpoint and exported weights: what was trained, on what,
/// for how long, and how well it did on the validation crops. Shipped models carry one (docs/method.md#training-objective).
/// </summary>
/// <remarks>
/// A card is the <see cref="CheckpointHeader"/> of the checkpoint it describes, written as one flat JSON
/// object for readers of the card alone (camelCase, nulls omitted): <c>format</c>, the fields of
/// <see cref="RunDescription"/> (<c>stage</c>, <c>preset</c>, <c>lambda</c>, ...), then the header's own fields,
/// with the step count named <c>steps</c>. Other members (a shipped card's <c>summary</c>, <c>stages</c>,
/// <c>kodak</c>) are ignored when a card is read.
/// </remarks>
public sealed record ModelCard
{
    /// <summary>The format tag this code writes.</summary>
    public const string CurrentFormat = "compass-model-card/1";

    /// <summary>Format tag of the JSON document.</summary>
    public string Format { get; init; } = CurrentFormat;

    /// <summary>The header of the checkpoint the card describes (what was trained, how far, how well).</summary>
    public CheckpointHeader Header { get; init; } = new();

    /// <summary>The card of a checkpoint (its wall and CPU seconds rounded to 0.1 s).</summary>
    public static ModelCard From(CheckpointHeader h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return new ModelCard { Header = h with { WallSeconds = Math.Round(h.WallSeconds, 1), CpuSeconds = Math.Round(h.CpuSeconds, 1) } };
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A diverging run's metrics can be NaN or infinite; the card still records them.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    // The header's members that a card spells otherwise: the run is written inline, the step count as "steps".
    private const string RunMember = "run", StepMember = "step", StepsMember = "steps", FormatMember = "format";

    private static readonly HashSet<string> RunMembers =
        [.. Json.GetTypeInfo(typeof(RunDescription)).Properties.Select(p => p.Name)];

    /// <summary>The card as indented JSON (camelCase, nulls omitted).</summary>
    public string ToJson()
    {
        var header = JsonSerializer.SerializeToNode(Header, Json)!.AsObject();
        var card = new JsonObject { [FormatMember] = Format };
        foreach (var (name, value) in header)
        {
            if (name == RunMember)
            {
                foreach (var (runName, runValue) in value!.AsObject()) card[runName] = runValue?.DeepClone();
            }
            else
            {
                card[name == StepMember ? StepsMember : name] = value?.DeepClone();
            }
        }
        return card.ToJsonString(Json);
    }

    /// <summary>Reads a card from its JSON (as <see cref="ToJson"/> writes it).</summary>
    /// <exception cref="CompassFormatException">Not a JSON object, or a member of the wrong type.</exception>
    public static ModelCard Parse(string json, string? source = null)
    {
        string what = source is null ? "model card" : $"model card '{source}'";
        try
        {
            if (JsonNode.Parse(json) is not JsonObject card)
                throw new CompassFormatException($"The {what} is not a JSON object.");
            var header = new JsonObject();
            var run = new JsonObject();
            string format = CurrentFormat;
            foreach (var (name, value) in card)
            {
                if (name == FormatMember) format = value?.GetValue<string>() ?? CurrentFormat;
                else if (RunMembers.Contains(name)) run[name] = value?.DeepClone();
                else header[name == StepsMember ? StepMember : name] = value?.DeepClone();
            }
            header[RunMember] = run;
            return new ModelCard { Format = format, Header = header.Deserialize<CheckpointHeader>(Json)! };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new CompassFormatException($"The {what} is malformed: {ex.Message}");
        }
    }

    /// <summary>Reads a card.</summary>
    /// <exception cref="CompassFormatException">The file is not a model card.</exception>
    public static ModelCard Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>
    /// The card of a run's weights: the <c>.card.json</c> beside a weights file, or the card in a model bundle's manifest
    /// (a bundle folder or zip that <see cref="Export.BundleExporter"/> wrote).
    /// </summary>
    /// <exception cref="FileNotFoundException">No card beside the weights.</exception>
    /// <exception cref="CompassFormatException">The card is malformed, or the bundle has none.</exception>
    public static ModelCard LoadFor(string weightsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        if (!Import.BundleWeights.IsBundle(weightsPath)) return Load(CheckpointStore.CardPathFor(weightsPath));
        var card = Bundles.ModelBundle.Load(weightsPath).Manifest.Card
            ?? throw new CompassFormatException($"The bundle '{weightsPath}' has no card in its manifest.");
        return Parse(card.GetRawText(), weightsPath);
    }

    /// <summary>Writes the card atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(ToJson() + "\n"));

    /// <summary>The commit checked out in the current directory's git repository, or null.</summary>
    public static string? TryGetGitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is null) return null;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            if (!git.WaitForExit(5000)) { git.Kill(); return null; }
            if (git.ExitCode != 0 || commit.Length < 7) return null;
            using var status = Process.Start(new ProcessStartInfo("git", "status --porcelain --untracked-files=no")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
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
