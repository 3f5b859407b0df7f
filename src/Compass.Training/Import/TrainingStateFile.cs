using System.Text;
using static TorchSharp.torch;

namespace Compass.Training.Import;

/// <summary>
/// The bundle file that carries what the graphs do not (docs/model-bundle.md#training-state): the entropy bottlenecks'
/// density parameters, the rate steps, and every stored value that the graphs hold only through a lossy map (a GDN
/// parameter below its bound, or one whose square loses bits), so that importing a bundle gives the exporter's state
/// dict exactly. The runtime never reads it.
/// </summary>
/// <remarks>
/// Layout (little-endian): <c>"CMPSTRN1"</c>, uint32 entry count, then per entry a 7-bit-length-prefixed UTF-8
/// state-dict key (with its <c>base.</c> / <c>liff.</c> / <c>residual.</c> prefix), a kind byte, a rank byte and the
/// int64 dimensions. Kind 0 (whole tensor): the float32 values, row-major. Kind 1 (patch of a tensor the graphs
/// give): uint32 n, then n pairs of uint32 flat index and float32 value.
/// </remarks>
internal static class TrainingStateFile
{
    /// <summary>The file's path inside a bundle.</summary>
    public const string FileName = "training/state.bin";

    private static readonly byte[] Magic = "CMPSTRN1"u8.ToArray();
    private const byte Whole = 0, Patch = 1;

    /// <summary>
    /// The file that turns <paramref name="fromGraphs"/> (what the graphs give back) into <paramref name="truth"/>: every key
    /// the graphs lack whole, every differing value of the others as a patch (or whole, when that is smaller).
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not floating point, or the graphs give a key the truth lacks or another shape.</exception>
    public static byte[] Write(IReadOnlyDictionary<string, Tensor> truth, IReadOnlyDictionary<string, Tensor> fromGraphs)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(fromGraphs);
        foreach (var key in fromGraphs.Keys)
            if (!truth.ContainsKey(key))
                throw new ArgumentException($"The graphs give '{key}', which the modules lack: the importer and the modules disagree.", nameof(fromGraphs));
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            var entries = new List<(string Key, long[] Shape, float[] Values, List<int>? Differing)>();
            foreach (var (key, tensor) in truth.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!tensor.is_floating_point())
                    throw new ArgumentException($"'{key}' is {tensor.dtype}; the training state holds floating-point tensors only.", nameof(truth));
                var values = Floats(tensor);
                if (!fromGraphs.TryGetValue(key, out var given))
                {
                    entries.Add((key, tensor.shape, values, null));
                    continue;
                }
                if (!given.shape.SequenceEqual(tensor.shape))
                    throw new ArgumentException($"The graphs give '{key}' as [{string.Join(", ", given.shape)}], the module has [{string.Join(", ", tensor.shape)}].", nameof(fromGraphs));
                var graph = Floats(given);
                var differing = new List<int>();
                for (int i = 0; i < values.Length; i++)
                    if (BitConverter.SingleToInt32Bits(values[i]) != BitConverter.SingleToInt32Bits(graph[i])) differing.Add(i);
                // A patch costs 8 bytes a value, the whole tensor 4.
                if (differing.Count * 2 > values.Length) entries.Add((key, tensor.shape, values, null));
                else if (differing.Count > 0) entries.Add((key, tensor.shape, values, differing));
            }
            w.Write((uint)entries.Count);
            foreach (var (key, shape, values, differing) in entries)
            {
                w.Write(key);
                w.Write(differing is null ? Whole : Patch);
                w.Write((byte)shape.Length);
                foreach (var d in shape) w.Write(d);
                if (differing is null)
                {
                    foreach (var v in values) w.Write(v);
                }
                else
                {
                    w.Write((uint)differing.Count);
                    foreach (var i in differing)
                    {
                        w.Write((uint)i);
                        w.Write(values[i]);
                    }
                }
            }
        }
        return buffer.ToArray();
    }

    /// <summary>Applies the file to <paramref name="state"/> (what the graphs gave): whole tensors are added, patches applied.</summary>
    /// <exception cref="CompassFormatException">The file is malformed, or patches a key the graphs did not give.</exception>
    public static void Apply(ReadOnlySpan<byte> bytes, Dictionary<string, Tensor> state, string source)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes.ToArray(), writable: false), Encoding.UTF8);
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                throw new CompassFormatException($"'{source}': {FileName} is not a Compass training-state file (version 1).");
            uint count = r.ReadUInt32();
            for (uint e = 0; e < count; e++)
            {
                var key = r.ReadString();
                byte kind = r.ReadByte();
                int rank = r.ReadByte();
                var shape = new long[rank];
                long elements = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = r.ReadInt64();
                    if (shape[d] < 0 || shape[d] > int.MaxValue) throw new CompassFormatException($"'{source}': {FileName}: '{key}' has a bad dimension {shape[d]}.");
                    elements *= shape[d];
                    if (elements > int.MaxValue) throw new CompassFormatException($"'{source}': {FileName}: '{key}' is too large.");
                }
                if (kind == Whole)
                {
                    var values = new float[elements];
                    for (long i = 0; i < elements; i++) values[i] = r.ReadSingle();
                    if (state.Remove(key, out var old)) old.Dispose();
                    state[key] = tensor(values).reshape(shape);
                }
                else if (kind == Patch)
                {
                    if (!state.TryGetValue(key, out var target) || !target.shape.SequenceEqual(shape))
                        throw new CompassFormatException($"'{source}': {FileName} patches '{key}' [{string.Join(", ", shape)}], which the graphs do not give in that shape.");
                    var values = Floats(target);
                    uint n = r.ReadUInt32();
                    for (uint i = 0; i < n; i++)
                    {
                        uint index = r.ReadUInt32();
                        if (index >= values.Length) throw new CompassFormatException($"'{source}': {FileName}: patch index {index} is outside '{key}'.");
                        values[index] = r.ReadSingle();
                    }
                    target.Dispose();
                    state[key] = tensor(values).reshape(shape);
                }
                else
                {
                    throw new CompassFormatException($"'{source}': {FileName}: '{key}' has an unknown entry kind {kind}.");
                }
            }
            if (r.BaseStream.Position != r.BaseStream.Length)
                throw new CompassFormatException($"'{source}': {FileName} has {r.BaseStream.Length - r.BaseStream.Position} bytes after its last entry.");
        }
        catch (EndOfStreamException ex)
        {
            throw new CompassFormatException($"'{source}': {FileName} is truncated.", ex);
        }
    }

    private static float[] Floats(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }
}
