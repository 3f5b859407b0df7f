using System.Globalization;
using System.Text.Json;
using Compass.Bundles;
using Compass.Training.Export;
using Compass.Training.Import;
using Compass.Training.Modules;
using Compass.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Objectives;

/// <summary>
/// Loads children of a <see cref="CompassNetwork"/> from a previous stage's output: a trainer checkpoint
/// (<c>.ckpt</c>), a compact-weights file (<c>model-f16.weights</c>) or a model bundle (folder or zip) that
/// <see cref="BundleExporter"/> wrote. Each holds a whole network (keys <c>base.</c>, <c>liff.</c>, <c>residual.</c>);
/// only the chosen children are copied.
/// </summary>
public static class WeightInitializer
{
    /// <summary>
    /// Parses an <c>--init</c> value: <c>[children=]file</c>, children a comma-separated subset of
    /// <c>base</c>, <c>liff</c>, <c>residual</c>; <c>target:source</c> copies another child of the file
    /// (<c>residual:base=bl.weights</c> starts the residual codec from a trained base-layer codec of the same
    /// size). Without children, they are those trained by the file's stage (from the checkpoint header, or
    /// the <c>.card.json</c> next to a compact-weights file).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown child name, or no stage to infer the children from.</exception>
    public static (IReadOnlyList<string> Children, string Path) Parse(string spec)
    {
        ArgumentException.ThrowIfNullOrEmpty(spec);
        int eq = spec.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0 && !File.Exists(spec) && !Directory.Exists(spec))
        {
            var children = spec[..eq].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var c in children)
            {
                var names = c.Split(':');
                if (names.Length > 2)
                    throw new ArgumentException($"--init: '{c}': use target:source.", nameof(spec));
                foreach (var name in names)
                    if (!CompassNetwork.ChildNames.Contains(name))
                        throw new ArgumentException($"--init: unknown child '{name}'; expected base, liff or residual (or target:source, e.g. residual:base).", nameof(spec));
                if (names.Length == 2 && (names[0] == "liff") != (names[1] == "liff"))
                    throw new ArgumentException($"--init: '{c}' maps a codec to LIFF or back; only base and residual share an architecture.", nameof(spec));
            }
            return (children, spec[(eq + 1)..]);
        }
        // A bundle is a whole model.
        if (BundleWeights.IsBundle(spec)) return (CompassNetwork.ChildNames, spec);
        var stage = StageOf(spec) ?? throw new ArgumentException(
            $"--init: cannot tell which stage produced '{spec}' (no checkpoint header or model card); name the children, e.g. base={spec}.", nameof(spec));
        return (StageObjectives.ChildrenTrainedBy(stage), spec);
    }

    /// <summary>The stage recorded with a checkpoint or compact-weights file, or null.</summary>
    /// <exception cref="CompassFormatException">The card beside compact weights names no known stage.</exception>
    public static TrainingStage? StageOf(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--init: '{path}' does not exist.", path);
        if (IsCompactWeights(path))
        {
            var card = Path.ChangeExtension(path, ".card.json");
            if (!File.Exists(card)) return null;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(card));
            foreach (var p in doc.RootElement.EnumerateObject())
                if (string.Equals(p.Name, "stage", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.String)
                    return TrainingStages.TryParse(p.Value.GetString(), out var stage)
                        ? stage
                        : throw new CompassFormatException($"The card '{card}' names an unknown stage '{p.Value.GetString()}'.");
            return null;
        }
        return Checkpoint.Load(path).Header.Run.Stage;
    }

    /// <summary>
    /// Copies <paramref name="children"/> of <paramref name="network"/> from <paramref name="path"/>; every
    /// parameter and buffer of those children must be present with the same shape.
    /// </summary>
    /// <exception cref="CompassFormatException">The file does not hold matching weights for those children.</exception>
    public static void Load(CompassNetwork network, IReadOnlyList<string> children, string path) => Load(network, children, path, otherLevels: false, log: null);

    /// <summary>
    /// As <see cref="Load(CompassNetwork, IReadOnlyList{string}, string)"/>; with <paramref name="otherLevels"/>, a variable-rate
    /// codec may also start from one with other levels (a run growing its levels, e.g. 1..8 to 0.25, 0.5, 1..8): the levels both
    /// have keep the source's log-steps (matched by quality), each new one starts from the source's nearest level by the rule
    /// (<see cref="RateLevelSteps"/>), and <paramref name="log"/> hears what was done.
    /// </summary>
    /// <param name="network">The model to fill.</param>
    /// <param name="children">The children to copy (<c>target:source</c> copies another child of the file).</param>
    /// <param name="path">A checkpoint, compact-weights file or bundle.</param>
    /// <param name="otherLevels">Allow a variable-rate source with other levels than the model's (<c>--init</c>; a run that continues, <c>--resume-weights</c>, needs the same).</param>
    /// <param name="log">Receives one line per codec whose levels were mapped; null: silent.</param>
    /// <exception cref="CompassFormatException">The file does not hold matching weights for those children.</exception>
    public static void Load(CompassNetwork network, IReadOnlyList<string> children, string path, bool otherLevels, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(children);
        var source = ReadStateDict(path);
        try
        {
            using var _ = no_grad();
            var target = network.state_dict();
            foreach (var child in children)
            {
                var parts = child.Split(':');
                var prefix = parts[0] + ".";
                var sourcePrefix = parts[^1] + ".";
                string From(string key) => sourcePrefix + key[prefix.Length..];
                bool IsRateKey(string key) => key.EndsWith("." + MeanScaleHyperprior.RateLogStepsKey, StringComparison.Ordinal)
                    || key.EndsWith("." + MeanScaleHyperprior.RateQualitiesKey, StringComparison.Ordinal);
                // A single-rate source starts a variable-rate codec: its levels keep their initial steps (the reference level is
                // then exactly the source). The other way round, no level would be the source's, so it is refused.
                // A private module field's alias ("liff.RDBs.0._fusion.weight") shares its tensor with a named entry: a source
                // that lists only the named entries (a bundle) fills it through that one.
                bool IsAlias(string key) => key.Split('.')[..^1].Any(part => part.StartsWith('_'));
                var keys = target.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !(IsRateKey(k) && !source.ContainsKey(From(k)))
                    && !(IsAlias(k) && !source.ContainsKey(From(k)))).ToArray();
                if (source.Keys.Any(k => k.StartsWith(sourcePrefix, StringComparison.Ordinal) && IsRateKey(k) && !target.ContainsKey(prefix + k[sourcePrefix.Length..])))
                    throw new CompassFormatException($"'{path}': its {parts[^1]} codec is variable-rate; a single-rate codec cannot start from it (train with the same --variable-rate levels).");
                // Keys of the source child that the model lacks mean another architecture (e.g. simplified GDN's marker).
                var foreign = source.Keys.Where(k => k.StartsWith(sourcePrefix, StringComparison.Ordinal) && !IsRateKey(k)
                        && !k.Split('.').Any(part => part.StartsWith('_')) && !target.ContainsKey(prefix + k[sourcePrefix.Length..]))
                    .Take(3).ToList();
                if (foreign.Count > 0)
                    throw new CompassFormatException($"'{path}' has {string.Join(", ", foreign)}, which the model's {parts[0]} lacks: another preset or nonlinearity?");
                // Rate keys are checked by their qualities below: a grown codec has more levels than its source.
                foreach (var key in keys.Where(k => !IsRateKey(k)))
                {
                    if (!source.TryGetValue(From(key), out var src))
                        throw new CompassFormatException($"'{path}' has no '{From(key)}': it was not saved by a compatible Compass network.");
                    if (!src.shape.SequenceEqual(target[key].shape))
                        throw new CompassFormatException($"'{path}': '{From(key)}' has shape [{string.Join(", ", src.shape)}], the model's '{key}' [{string.Join(", ", target[key].shape)}] (another preset?).");
                }
                var codec = parts[0] switch { "base" => network.Base, "residual" => network.Residual, _ => null };
                var grown = false;
                foreach (var key in keys.Where(k => k.EndsWith("." + MeanScaleHyperprior.RateQualitiesKey, StringComparison.Ordinal)))
                {
                    var sourceLevels = MeanScaleHyperprior.QualitiesOf(source[From(key)]);
                    if (codec is null || sourceLevels.SequenceEqual(codec.RateQualities)) continue;
                    string what = $"'{path}': its {parts[^1]} codec has rate levels {Format(sourceLevels)}, the model's {parts[0]} codec {codec.Levels}";
                    if (!otherLevels)
                        throw new CompassFormatException($"{what}: other rate levels than the model's. Continue a run with the same --variable-rate levels; start a run with other levels from it with --init.");
                    using var stored = source[sourcePrefix + MeanScaleHyperprior.RateLogStepsKey].to_type(ScalarType.Float32);
                    var logSteps = stored.data<float>().Select(v => (double)v).ToArray();
                    if (logSteps.Length != sourceLevels.Count)
                        throw new CompassFormatException($"'{path}': {parts[^1]} has {sourceLevels.Count} rate qualities but {logSteps.Length} log-steps.");
                    var mapped = RateLevelSteps.Map(sourceLevels, logSteps, codec.RateQualities);
                    codec.SetRateLogSteps(mapped.Select(m => m.LogStep).ToArray());
                    grown = true;
                    var copied = mapped.Where(m => m.From == m.Quality).Select(m => m.Quality).ToList();
                    var derived = mapped.Where(m => m.From != m.Quality).ToList();
                    var dropped = sourceLevels.Where(q => !codec.RateQualities.Contains(q)).ToList();
                    log?.Invoke($"{what}: log-steps of levels {Format(copied)} copied by quality"
                        + string.Concat(derived.Select(d => string.Create(CultureInfo.InvariantCulture,
                            $"; new level {RateLadder.Format(d.Quality)} starts at log-step {d.LogStep:F4} from level {RateLadder.Format(d.From)} by the rule")))
                        + (dropped.Count > 0 ? $"; levels {Format(dropped)} dropped" : "") + ".");
                }
                // A grown codec's rate keys were set above, level by level; every other key is copied as it is.
                foreach (var key in keys.Where(k => !(grown && IsRateKey(k)))) target[key].copy_(source[From(key)]);
                // A single-rate source was trained at one lambda: the levels of a variable-rate target take the rule's steps from it.
                if (codec is { IsVariableRate: true } && !source.ContainsKey(sourcePrefix + MeanScaleHyperprior.RateLogStepsKey)
                    && SourceLambda(path) is { } sourceLambda)
                    codec.SetRuleSteps(sourceLambda);
            }
        }
        finally
        {
            foreach (var t in source.Values) t.Dispose();
        }
    }

    private static string Format(IEnumerable<double> levels) => string.Join(", ", levels.Select(RateLadder.Format));

    /// <summary>The lambda the file's run trained at (checkpoint header, or the card beside compact weights), or null when unknown.</summary>
    internal static double? SourceLambda(string path)
    {
        if (BundleWeights.IsBundle(path))
        {
            var manifest = ModelBundle.Load(path).Manifest;
            return manifest.Rate is null && manifest.Lambdas.Count == 1 ? manifest.Lambdas[0] : null;
        }
        if (!IsCompactWeights(path)) return Checkpoint.Load(path).Header.Run.Lambda;
        var card = Path.ChangeExtension(path, ".card.json");
        try
        {
            return File.Exists(card) ? ModelCard.Load(card).Header.Run.Lambda : null;
        }
        catch (CompassFormatException)
        {
            return null; // a card of another form (e.g. a shipped summary) names no run lambda: keep the reference's rule
        }
    }

    private static bool IsCompactWeights(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        return f.Read(head) == 8 && head.SequenceEqual("CMPSW16\0"u8);
    }

    // A plain dictionary (not a module load), so children of another size (e.g. a different LIFF) do not matter.
    private static Dictionary<string, Tensor> ReadStateDict(string path) => CompassWeights.ReadStateDict(path, out _);
}
