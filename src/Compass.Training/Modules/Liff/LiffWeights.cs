using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// Loads official LIFF weights saved with <c>torch.save</c> (zip format) into a <see cref="Liff"/>:
/// a plain state_dict (the fixture <c>liff_state_dict.pt</c>), a COMPASS checkpoint (LIFF under
/// <c>conti_sr_state_dict</c>) or the pre-trained LIFF file read by the official train.py (under
/// <c>model_state_dict</c>). Names map one to one; loading is strict.
/// </summary>
/// <remarks>Small on purpose: the shared importer in <c>Import/</c> is expected to absorb it.</remarks>
internal static class LiffWeights
{
    /// <summary>Keys under which official checkpoints nest the LIFF state_dict, in lookup order.</summary>
    internal static readonly string[] NestingKeys = ["conti_sr_state_dict", "model_state_dict"];

    /// <summary>Loads the file at <paramref name="path"/> into <paramref name="module"/>.</summary>
    /// <exception cref="CompassFormatException">The file is not a torch zip pickle, or keys/shapes do not match.</exception>
    public static void Load(Liff module, string path)
    {
        using var stream = File.OpenRead(path);
        Load(module, stream, path);
    }

    /// <summary>Loads a torch.save stream into <paramref name="module"/>; <paramref name="source"/> names it in errors.</summary>
    public static void Load(Liff module, Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stream);
        using var scope = NewDisposeScope();
        Hashtable root;
        try
        {
            root = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CompassFormatException($"{source}: not a readable torch.save file ({e.Message}).", e);
        }
        Apply(module, SelectStateDict(root, source), source);
    }

    /// <summary>The LIFF state_dict inside <paramref name="root"/>: the nested one when a known nesting key holds a dict, else root itself.</summary>
    internal static IDictionary SelectStateDict(IDictionary root, string source)
    {
        foreach (var key in NestingKeys)
        {
            if (!root.Contains(key)) continue;
            return root[key] as IDictionary
                ?? throw new CompassFormatException($"{source}: '{key}' is not a state_dict.");
        }
        return root;
    }

    /// <summary>Copies every parameter and buffer of <paramref name="module"/> from <paramref name="stateDict"/>, strictly.</summary>
    internal static void Apply(nn.Module module, IDictionary stateDict, string source)
    {
        var targets = module.named_parameters().Select(p => (p.name, tensor: (Tensor)p.parameter))
            .Concat(module.named_buffers()).ToList();
        var problems = new List<string>();
        foreach (var (name, target) in targets)
        {
            if (!stateDict.Contains(name)) { problems.Add($"missing key '{name}'"); continue; }
            if (stateDict[name] is not Tensor value) { problems.Add($"'{name}' is not a tensor"); continue; }
            if (!value.shape.SequenceEqual(target.shape))
                problems.Add($"'{name}' has shape [{string.Join(", ", value.shape)}], expected [{string.Join(", ", target.shape)}]");
            else if (!value.is_floating_point())
                problems.Add($"'{name}' has dtype {value.dtype}, expected a floating-point tensor");
        }
        var known = targets.Select(t => t.name).ToHashSet(StringComparer.Ordinal);
        foreach (var key in stateDict.Keys.Cast<object>().Select(k => k.ToString()!).Where(k => !known.Contains(k)).Order(StringComparer.Ordinal))
            problems.Add($"unexpected key '{key}'");
        if (problems.Count > 0)
            throw new CompassFormatException($"{source}: does not match the LIFF module: {string.Join("; ", problems)}.");

        using var noGrad = no_grad();
        foreach (var (name, target) in targets) target.copy_((Tensor)stateDict[name]!);
    }
}
