using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Training;

/// <summary>
/// Compact weights for committing: the model's <c>state_dict</c> only (no optimiser state), floating
/// tensors stored as float16 (half the size of float32; 7 M parameters take ~14 MB).
/// </summary>
/// <remarks>
/// Layout: "CMPSW16\0", int32 version 1, int32 count, then per entry a 7-bit-length-prefixed UTF-8
/// name and the tensor in TorchSharp's <c>Tensor.Save</c> format. Loading converts back to the
/// module's dtypes; float16 rounding (about 3 significant digits) is the only loss.
/// </remarks>
public static class CompactWeights
{
    private static readonly byte[] Magic = "CMPSW16\0"u8.ToArray();

    /// <summary>Writes <paramref name="module"/>'s weights to <paramref name="path"/> atomically.</summary>
    public static void Export(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            var state = module.state_dict();
            w.Write(Magic);
            w.Write(1);
            w.Write(state.Count);
            foreach (var (name, t) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                w.Write(name);
                using var cpu = t.detach().cpu();
                using var stored = cpu.is_floating_point() ? cpu.to(ScalarType.Float16) : cpu.clone();
                stored.Save(w);
            }
        });
    }

    /// <summary>Reads the tensors of a compact-weights file (float16 entries as float32); the caller disposes them.</summary>
    /// <exception cref="CompassFormatException">Not a compact-weights file.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || r.ReadInt32() != 1)
            throw new CompassFormatException($"'{path}' is not a Compass compact-weights file (version 1).");
        int count = r.ReadInt32();
        var result = new Dictionary<string, Tensor>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            var name = r.ReadString();
            var t = TensorExtensionMethods.Load(r);
            if (t.dtype == ScalarType.Float16)
            {
                var f = t.to(ScalarType.Float32);
                t.Dispose();
                t = f;
            }
            result[name] = t;
        }
        return result;
    }

    /// <summary>Loads a compact-weights file into <paramref name="module"/> (names and shapes must match exactly).</summary>
    /// <exception cref="CompassFormatException">Not a compact-weights file, or it does not match the module.</exception>
    public static void LoadInto(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        var loaded = Read(path);
        try
        {
            var state = module.state_dict();
            var missing = state.Keys.Except(loaded.Keys).ToArray();
            var extra = loaded.Keys.Except(state.Keys).ToArray();
            if (missing.Length > 0 || extra.Length > 0)
                throw new CompassFormatException($"'{path}' does not match the model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}].");
            using var _ = no_grad();
            foreach (var (name, target) in state)
            {
                var src = loaded[name];
                if (!src.shape.SequenceEqual(target.shape))
                    throw new CompassFormatException($"'{path}': '{name}' has shape [{string.Join(", ", src.shape)}], the model [{string.Join(", ", target.shape)}].");
                target.copy_(src);
            }
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }
}
