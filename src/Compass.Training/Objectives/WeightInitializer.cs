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
    public static void Load(CompassNetwork network, IReadOnlyList<string> children, string path)
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
                foreach (var key in keys)
                {
                    if (!source.TryGetValue(From(key), out var src))
                        throw new CompassFormatException($"'{path}' has no '{From(key)}': it was not saved by a compatible Compass network.");
                    if (!src.shape.SequenceEqual(target[key].shape))
                        throw new CompassFormatException($"'{path}': '{From(key)}' has shape [{string.Join(", ", src.shape)}], the model's '{key}' [{string.Join(", ", target[key].shape)}] (another preset?).");
                }
                foreach (var key in keys.Where(k => k.EndsWith("." + MeanScaleHyperprior.RateQualitiesKey, StringComparison.Ordinal)))
                    if (!source[From(key)].to_type(ScalarType.Float32).equal(target[key].to_type(ScalarType.Float32)).all().item<bool>())
                        throw new CompassFormatException($"'{path}': '{From(key)}' has other rate levels than the model's (train with the same --variable-rate levels).");
                foreach (var key in keys) target[key].copy_(source[From(key)]);
                // A single-rate source was trained at one lambda: the levels of a variable-rate target take the rule's steps from it.
                var codec = parts[0] switch { "base" => network.Base, "residual" => network.Residual, _ => null };
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
