using System.Text;
using System.Text.RegularExpressions;
using Compass.Training.Modules;
using Compass.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Export;

/// <summary>
/// The three networks of a COMPASS model read back from what the trainer writes: a checkpoint
/// (<see cref="Checkpoint"/>, section <c>model</c>), a compact-weights file (<see cref="CompactWeights"/>), or a model
/// bundle that <see cref="BundleExporter"/> wrote (its graphs and training-state file, docs/model-bundle.md#training-state).
/// The state_dict keys carry the prefixes <c>base.</c> (base-layer codec), <c>liff.</c> and
/// <c>residual.</c> (residual codec), followed by each module's own names; the architecture (N, M and
/// the LIFF sizes) is inferred from the tensor shapes.
/// </summary>
public sealed partial class CompassWeights : IDisposable
{
    /// <summary>Key prefix of the base-layer codec.</summary>
    public const string BasePrefix = "base.";

    /// <summary>Key prefix of LIFF.</summary>
    public const string LiffPrefix = "liff.";

    /// <summary>Key prefix of the residual codec.</summary>
    public const string ResidualPrefix = "residual.";

    private CompassWeights(MeanScaleHyperprior baseCodec, Liff liff, MeanScaleHyperprior residualCodec, CheckpointHeader? header)
    {
        BaseCodec = baseCodec;
        Liff = liff;
        ResidualCodec = residualCodec;
        Header = header;
    }

    /// <summary>The base-layer codec (eval mode).</summary>
    public MeanScaleHyperprior BaseCodec { get; }

    /// <summary>LIFF (eval mode).</summary>
    public Liff Liff { get; }

    /// <summary>The residual codec (eval mode).</summary>
    public MeanScaleHyperprior ResidualCodec { get; }

    /// <summary>The checkpoint's header (run description, steps, timing), or null for compact weights.</summary>
    public CheckpointHeader? Header { get; }

    /// <summary>Reads a checkpoint or a compact-weights file and builds the modules.</summary>
    /// <exception cref="CompassFormatException">Neither format, or the keys / shapes do not describe a COMPASS model.</exception>
    public static CompassWeights Load(string path) => Load(path, []);

    /// <summary>
    /// Reads a checkpoint or compact-weights file, replaces whole children (<c>base</c>, <c>liff</c>, <c>residual</c>)
    /// with those of other files (e.g. a longer-trained base layer with the LIFF and residual codec of a joint run),
    /// and builds the modules. The header is the first file's.
    /// </summary>
    /// <exception cref="CompassFormatException">A file is in neither format, lacks a replaced child, or the result is not a COMPASS model.</exception>
    public static CompassWeights Load(string path, IReadOnlyList<(string Child, string Path)> replacements)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(replacements);
        var state = ReadStateDict(path, out var header);
        try
        {
            foreach (var (child, other) in replacements)
            {
                var prefix = child switch { "base" => BasePrefix, "liff" => LiffPrefix, "residual" => ResidualPrefix, _ => throw new ArgumentException($"Unknown child '{child}': use base, liff or residual.", nameof(replacements)) };
                var otherState = ReadStateDict(other, out _);
                var taken = otherState.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                if (taken.Count == 0)
                {
                    foreach (var t in otherState.Values) t.Dispose();
                    throw new CompassFormatException($"'{other}' has no '{prefix}*' weights to take.");
                }
                foreach (var key in state.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
                {
                    state[key].Dispose();
                    state.Remove(key);
                }
                foreach (var (key, tensor) in otherState)
                {
                    if (key.StartsWith(prefix, StringComparison.Ordinal)) state[key] = tensor;
                    else tensor.Dispose();
                }
            }
            return FromStateDict(state, path, header);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>
    /// The prefixed state dict of a checkpoint (its <c>model</c> section), a compact-weights file or a model bundle (folder or
    /// zip, with its training-state file), and the checkpoint's header.
    /// </summary>
    internal static Dictionary<string, Tensor> ReadStateDict(string path, out CheckpointHeader? header)
    {
        header = null;
        if (Import.BundleWeights.IsBundle(path)) return Import.BundleWeights.ReadStateDict(path, out _);
        var head = new byte[8];
        using (var f = File.OpenRead(path)) f.ReadExactly(head, 0, Math.Min(8, (int)f.Length));
        if (head.AsSpan().SequenceEqual("CMPSCKPT"u8))
        {
            var checkpoint = Checkpoint.Load(path);
            header = checkpoint.Header;
            if (!checkpoint.Sections.TryGetValue("model", out var model))
                throw new CompassFormatException($"Checkpoint '{path}' has no 'model' section.");
            return ReadModuleSave(model, path);
        }
        return CompactWeights.Read(path);
    }

    /// <summary>Builds the modules from a prefixed state dict (values are copied).</summary>
    internal static CompassWeights FromStateDict(IReadOnlyDictionary<string, Tensor> state, string source, CheckpointHeader? header = null)
    {
        var baseState = Strip(state, BasePrefix);
        var liffState = Strip(state, LiffPrefix);
        var residualState = Strip(state, ResidualPrefix);
        var unknown = state.Keys.Where(k => !k.StartsWith(BasePrefix, StringComparison.Ordinal) && !k.StartsWith(LiffPrefix, StringComparison.Ordinal)
            && !k.StartsWith(ResidualPrefix, StringComparison.Ordinal)).Take(5).ToList();
        if (baseState.Count == 0 || liffState.Count == 0 || residualState.Count == 0)
            throw new CompassFormatException(
                $"'{source}' is not a COMPASS model: expected keys prefixed '{BasePrefix}', '{LiffPrefix}' and '{ResidualPrefix}'" +
                (unknown.Count > 0 ? $" (found e.g. {string.Join(", ", unknown)})." : "."));

        var baseCodec = Codec(baseState, "base", source);
        var residual = Codec(residualState, "residual", source);
        var liff = new Liff(InferLiff(liffState, source));
        Load(liff, liffState, "liff", source);
        liff.eval();
        return new CompassWeights(baseCodec, liff, residual, header);
    }

    /// <summary>Disposes the modules.</summary>
    public void Dispose()
    {
        BaseCodec.Dispose();
        Liff.Dispose();
        ResidualCodec.Dispose();
    }

    private static MeanScaleHyperprior Codec(Dictionary<string, Tensor> state, string what, string source)
    {
        int n = (int)Shape(state, "g_a.0.weight", what, source)[0];
        int m = (int)Shape(state, "g_a.6.weight", what, source)[0];
        // A variable-rate codec's weights name their levels' qualities (multiples of 1/256 up to 8: exact in fp16 too).
        double[]? qualities = state.TryGetValue(MeanScaleHyperprior.RateQualitiesKey, out var q)
            ? [.. MeanScaleHyperprior.QualitiesOf(q)] : null;
        // The nonlinearity shows in the keys: GDN parameters or none (ReLU), and the simplified form's marker buffer.
        var nonlinearity = !state.ContainsKey("g_a.1.beta") ? CodecNonlinearity.Relu
            : state.ContainsKey("g_a.1." + Gdn.SimplifiedMarker) ? CodecNonlinearity.SimplifiedGdn : CodecNonlinearity.Gdn;
        MeanScaleHyperprior codec;
        try { codec = new MeanScaleHyperprior(n, m, qualities, qualities is { Length: > 0 } ? qualities[0] : 0, nonlinearity); }
        catch (ArgumentException ex) { throw new CompassFormatException($"'{source}': the {what} codec's rate levels are invalid: {ex.Message}"); }
        Load(codec, state, what, source);
        codec.eval();
        return codec;
    }

    private static LiffConfig InferLiff(Dictionary<string, Tensor> state, string source)
    {
        int Count(Regex pattern) => state.Keys.Select(k => pattern.Match(k)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Count();
        int g0 = (int)Shape(state, "SFENet1.weight", "liff", source)[0];
        int blocks = Count(BlockKey());
        int layers = Count(LayerKey());
        int growth = (int)Shape(state, "RDBs.0.convs.0.conv.0.weight", "liff", source)[0];
        int hidden = (int)Shape(state, "imnet.0.weight", "liff", source)[0];
        int linears = Count(MlpKey());
        if (blocks < 1 || layers < 1 || linears < 2)
            throw new CompassFormatException($"'{source}': the liff.* keys do not describe a LIFF module.");
        return new LiffConfig(g0, blocks, layers, growth, hidden, linears - 2);
    }

    private static void Load(nn.Module module, Dictionary<string, Tensor> state, string what, string source)
    {
        var expected = module.state_dict();
        // A missing alias of a private module field is filled through the named entry it shares its tensor with.
        bool IsAlias(string key) => key.Split('.')[..^1].Any(part => part.StartsWith('_'))
            && expected.Any(kv => kv.Key != key && state.ContainsKey(kv.Key) && (ReferenceEquals(kv.Value, expected[key]) || kv.Value.Handle == expected[key].Handle));
        var missing = expected.Keys.Except(state.Keys).Where(k => !IsAlias(k)).Take(5).ToList();
        // TorchSharp also registers a child's private module fields under their field names ("_sfe1.weight")
        // when the child sits inside a parent module: those are aliases of the named entries, not extra weights.
        var extra = state.Keys.Except(expected.Keys).Where(k => !k.Split('.').Any(part => part.StartsWith('_'))).Take(5).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new CompassFormatException($"'{source}': the {what}.* weights do not match the module: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}].");
        using var _ = no_grad();
        foreach (var (name, target) in expected)
        {
            if (!state.TryGetValue(name, out var value)) continue; // an alias, filled through its named entry
            if (!value.shape.SequenceEqual(target.shape))
                throw new CompassFormatException($"'{source}': {what}.{name} is [{string.Join(", ", value.shape)}], the module needs [{string.Join(", ", target.shape)}].");
            target.copy_(value.to_type(target.dtype));
        }
    }

    private static long[] Shape(Dictionary<string, Tensor> state, string key, string what, string source) =>
        state.TryGetValue(key, out var t) ? t.shape : throw new CompassFormatException($"'{source}' has no '{what}.{key}'.");

    private static Dictionary<string, Tensor> Strip(IReadOnlyDictionary<string, Tensor> state, string prefix) =>
        state.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    /// <summary>
    /// Reads TorchSharp's <c>Module.save</c> format without the module: a LEB128 entry count, then per
    /// entry a length-prefixed UTF-8 name and a tensor in <c>Tensor.Save</c> format.
    /// </summary>
    internal static Dictionary<string, Tensor> ReadModuleSave(byte[] bytes, string source)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            long count = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = reader.ReadByte();
                count |= (long)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) break;
                if (shift > 56) throw new CompassFormatException($"'{source}': bad entry count in the model section.");
            }
            for (long i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                result[name] = TensorExtensionMethods.Load(reader);
            }
            return result;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or ArgumentException or NotImplementedException)
        {
            foreach (var t in result.Values) t.Dispose();
            throw new CompassFormatException($"'{source}': the model section is not in TorchSharp's Module.save format: {ex.Message}", ex);
        }
    }

    [GeneratedRegex(@"^RDBs\.(\d+)\.LFF\.weight$")]
    private static partial Regex BlockKey();

    [GeneratedRegex(@"^RDBs\.0\.convs\.(\d+)\.conv\.0\.weight$")]
    private static partial Regex LayerKey();

    [GeneratedRegex(@"^imnet\.(\d+)\.weight$")]
    private static partial Regex MlpKey();
}
