using System.Collections;
using Compass.Training.Modules;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Compass.Training.Import;

/// <summary>
/// Reads PyTorch <c>torch.save</c> checkpoints of the official COMPASS code (and CompressAI) and copies
/// them into our modules. Supported nestings: a plain state_dict; a COMPASS checkpoint dict
/// (<c>base_state_dict</c>, <c>residual_state_dict</c>, <c>conti_sr_state_dict</c>, plus optimiser states that
/// are ignored); <c>model_state_dict</c>, <c>state_dict</c> or <c>network</c>.
/// </summary>
public static class OfficialCheckpoint
{
    private static readonly string[] CompassKeys = ["base_state_dict", "residual_state_dict", "conti_sr_state_dict"];
    private static readonly string[] WrapperKeys = ["model_state_dict", "state_dict", "network"];

    // CompressAI's integer CDF buffers: we rebuild the tables from the weights, so they are skipped.
    private static readonly string[] TableBuffers = ["._quantized_cdf", "._offset", "._cdf_length"];

    /// <summary>
    /// Reads the state_dict of one network from <paramref name="path"/>. A plain state_dict (or one nested
    /// under <c>model_state_dict</c> / <c>state_dict</c> / <c>network</c>) is returned whatever
    /// <paramref name="entry"/> says; a COMPASS checkpoint returns the sub-dict <paramref name="entry"/> names.
    /// </summary>
    /// <param name="path">The <c>.pt</c> / <c>.pth</c> / <c>.pth.tar</c> file (torch &gt;= 1.6 zip format).</param>
    /// <param name="entry">The network to take from a COMPASS checkpoint.</param>
    /// <returns>The tensors; dispose the result when done.</returns>
    /// <exception cref="CompassFormatException">The file is not a readable checkpoint or lacks the entry.</exception>
    public static LoadedStateDict ReadStateDict(string path, CheckpointEntry entry)
    {
        using var stream = File.OpenRead(path);
        using var scope = NewDisposeScope(); // everything not returned (optimiser states ...) is freed here
        Hashtable root;
        try
        {
            root = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception ex) when (ex is not CompassFormatException and not IOException)
        {
            throw new CompassFormatException($"{path}: not a readable PyTorch checkpoint ({ex.GetType().Name}: {ex.Message}).", ex);
        }

        return FromUnpickled(root, entry, path);
    }

    /// <summary>Selects and validates the nested state_dict of an unpickled checkpoint; keeps its tensors alive.</summary>
    internal static LoadedStateDict FromUnpickled(Hashtable root, CheckpointEntry entry, string path)
    {
        var (dict, key) = SelectNested(root, entry, path);
        var source = key is null ? path : $"{path} [{key}]";
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in dict)
        {
            if (e.Key is not string name)
                throw new CompassFormatException($"{source}: state_dict key {e.Key} is not a string.");
            if (e.Value is not Tensor t)
                throw new CompassFormatException($"{source}: value of '{name}' is not a tensor ({e.Value?.GetType().Name ?? "null"}).");
            result[name] = t.DetachFromDisposeScope();
        }
        return new LoadedStateDict(result, source);
    }

    /// <summary>Reads the LIFF state_dict (<c>conti_sr_state_dict</c> of a COMPASS checkpoint, or the pre-trained LIFF file).</summary>
    /// <param name="path">Checkpoint file.</param>
    /// <returns>The tensors with the official LIFF key names; dispose the result when done.</returns>
    public static LoadedStateDict ReadLiffStateDict(string path) => ReadStateDict(path, CheckpointEntry.Liff);

    /// <summary>Infers (N, M) of an official mean-scale codec state_dict from <c>g_a.0.weight</c> and <c>g_a.6.weight</c>.</summary>
    /// <exception cref="CompassFormatException">The keys are absent.</exception>
    public static (int N, int M) InferCodecSize(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        if (!stateDict.TryGetValue("g_a.0.weight", out var first) || !stateDict.TryGetValue("g_a.6.weight", out var last))
            throw new CompassFormatException("Not a mean-scale codec state_dict: 'g_a.0.weight' or 'g_a.6.weight' is missing.");
        return ((int)first.shape[0], (int)last.shape[0]);
    }

    /// <summary>Creates a codec of the right size and loads a codec checkpoint into it.</summary>
    /// <param name="path">Checkpoint file (plain codec state_dict or COMPASS checkpoint).</param>
    /// <param name="entry"><see cref="CheckpointEntry.BaseCodec"/> or <see cref="CheckpointEntry.ResidualCodec"/>.</param>
    public static MeanScaleHyperprior LoadCodec(string path, CheckpointEntry entry = CheckpointEntry.BaseCodec)
    {
        if (entry == CheckpointEntry.Liff) throw new ArgumentException("LIFF is not a codec.", nameof(entry));
        using var sd = ReadStateDict(path, entry);
        var (n, m) = InferCodecSize(sd);
        var codec = new MeanScaleHyperprior(n, m);
        try
        {
            CopyInto(codec, sd, sd.Source);
        }
        catch
        {
            codec.Dispose();
            throw;
        }
        return codec;
    }

    /// <summary>
    /// Copies an official codec state_dict into <paramref name="codec"/>, key by key, with shape checks.
    /// CompressAI's CDF buffers (<c>_quantized_cdf</c>, <c>_offset</c>, <c>_cdf_length</c>) are skipped; its
    /// constant buffers (GDN pedestals and bounds, likelihood and scale bounds, the EntropyBottleneck target,
    /// the scale table) are checked against the values this implementation uses.
    /// </summary>
    /// <param name="codec">The destination.</param>
    /// <param name="stateDict">Official names to tensors.</param>
    /// <param name="source">Where the dictionary came from, for error messages.</param>
    /// <exception cref="CompassFormatException">A key is missing or unexpected, a shape differs, or a constant differs.</exception>
    public static void CopyInto(MeanScaleHyperprior codec, IReadOnlyDictionary<string, Tensor> stateDict, string source = "state_dict")
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(stateDict);
        var parameters = codec.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var problems = new List<string>();
        var copies = new List<(Parameter Dst, Tensor Src)>();

        foreach (var (key, value) in stateDict.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (parameters.TryGetValue(key, out var p))
            {
                if (!p.shape.SequenceEqual(value.shape))
                    problems.Add($"shape mismatch for '{key}': checkpoint [{string.Join(", ", value.shape)}], model [{string.Join(", ", p.shape)}]");
                else if (!value.is_floating_point())
                    problems.Add($"'{key}' has dtype {value.dtype}, expected a floating-point tensor");
                else
                    copies.Add((p, value));
            }
            else if (TableBuffers.Any(b => key.EndsWith(b, StringComparison.Ordinal)))
            {
                // Rebuilt from the weights at export time.
            }
            else if (ExpectedConstant(key, parameters) is { } expected)
            {
                CheckConstant(key, value, expected, problems);
            }
            else
            {
                problems.Add($"unexpected key '{key}'");
            }
        }
        foreach (var key in parameters.Keys.Where(k => !stateDict.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal))
            problems.Add($"missing key '{key}'");

        if (problems.Count > 0)
        {
            var shown = string.Join("; ", problems.Take(12));
            var more = problems.Count > 12 ? $"; and {problems.Count - 12} more" : "";
            throw new CompassFormatException($"{source}: does not fit a mean-scale codec (N={codec.N}, M={codec.M}): {shown}{more}.");
        }

        using var _ = no_grad();
        foreach (var (dst, src) in copies) dst.copy_(src);
    }

    private static (Hashtable Dict, string? Key) SelectNested(Hashtable root, CheckpointEntry entry, string path)
    {
        if (CompassKeys.Any(root.ContainsKey))
        {
            var key = entry switch
            {
                CheckpointEntry.BaseCodec => "base_state_dict",
                CheckpointEntry.ResidualCodec => "residual_state_dict",
                _ => "conti_sr_state_dict",
            };
            return root[key] is Hashtable nested
                ? (nested, key)
                : throw new CompassFormatException($"{path}: COMPASS checkpoint without a '{key}' dictionary.");
        }
        foreach (var key in WrapperKeys)
        {
            if (root.ContainsKey(key))
            {
                return root[key] is Hashtable nested
                    ? (nested, key)
                    : throw new CompassFormatException($"{path}: '{key}' is not a dictionary.");
            }
        }
        return (root, null);
    }

    /// <summary>The value a CompressAI constant buffer must hold in this implementation, or null if the key is not one.</summary>
    private static float[]? ExpectedConstant(string key, IReadOnlyDictionary<string, Parameter> parameters)
    {
        switch (key)
        {
            case "entropy_bottleneck.target":
                float t = (float)Math.Log(2.0 / 1e-9 - 1.0);
                return [-t, 0f, t];
            case "entropy_bottleneck.likelihood_lower_bound.bound":
                return [EntropyBottleneck.LikelihoodBound];
            case "gaussian_conditional.likelihood_lower_bound.bound":
                return [GaussianConditional.LikelihoodBound];
            case "gaussian_conditional.scale_bound":
            case "gaussian_conditional.lower_bound_scale.bound":
                return [GaussianConditional.ScaleBound];
            case "gaussian_conditional.scale_table":
                return GaussianConditional.DefaultScaleTable();
        }
        // GDN reparametrisation buffers, only under a module that has a GDN's beta.
        int dot = key.IndexOf(".beta_reparam.", StringComparison.Ordinal);
        if (dot < 0) dot = key.IndexOf(".gamma_reparam.", StringComparison.Ordinal);
        if (dot < 0 || !parameters.ContainsKey(key[..dot] + ".beta")) return null;
        var suffix = key[(dot + 1)..];
        return suffix switch
        {
            "beta_reparam.pedestal" or "gamma_reparam.pedestal" => [(float)Gdn.Pedestal],
            "beta_reparam.lower_bound.bound" => [Gdn.BetaBound],
            "gamma_reparam.lower_bound.bound" => [Gdn.GammaBound],
            _ => null,
        };
    }

    private static void CheckConstant(string key, Tensor value, float[] expected, List<string> problems)
    {
        // An empty scale table is what CompressAI holds before update(): nothing to check.
        if (value.numel() == 0 && key.EndsWith("scale_table", StringComparison.Ordinal)) return;
        if (value.numel() != expected.Length)
        {
            problems.Add($"'{key}' has {value.numel()} values, expected {expected.Length}");
            return;
        }
        using var f = value.to_type(ScalarType.Float32).contiguous();
        var actual = f.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            if (Math.Abs(actual[i] - expected[i]) > 1e-5 * Math.Abs(expected[i]))
            {
                problems.Add($"'{key}'[{i}] = {actual[i]:R}, this implementation uses {expected[i]:R}");
                return;
            }
        }
    }
}
