using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Compass.Bundles;
using Compass.Training.Export.OnnxProto;
using Compass.Training.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Import;

/// <summary>
/// Reads the weights of a COMPASS model back out of a model bundle (docs/model-bundle.md#training-state), so a bundle
/// is all a repository needs to keep: the ONNX initialisers of the graphs this project's exporter wrote, mapped back
/// to the TorchSharp state dict, plus the bundle's training-state file (<see cref="TrainingStateFile"/>) for what the
/// graphs do not carry.
/// </summary>
/// <remarks>
/// The maps invert the exporter's: codec convolutions are copied; a GDN layer's graph holds the effective
/// <c>beta</c> and <c>gamma</c>, which go back through the reparametrisation (<c>stored = sqrt(effective + pedestal)</c>);
/// LIFF's dense-block convolutions are split per input part in the graph and concatenated back, and its first and last
/// MLP layers are reshapes of <c>W1</c> / <c>W5</c>. Whatever this does not reproduce bit for bit, the training-state
/// file patches.
/// </remarks>
internal static partial class BundleWeights
{
    /// <summary>True when <paramref name="path"/> is a bundle folder (with a manifest) or a zip file.</summary>
    public static bool IsBundle(string path)
    {
        if (Directory.Exists(path)) return File.Exists(Path.Combine(path, ModelBundleManifest.FileName));
        if (!File.Exists(path)) return false;
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        return f.Read(head) == 4 && head.SequenceEqual("PK\u0003\u0004"u8);
    }

    /// <summary>The prefixed state dict (<c>base.</c>, <c>liff.</c>, <c>residual.</c>) of the bundle at <paramref name="path"/>.</summary>
    /// <exception cref="CompassFormatException">Not a bundle, or one without the training-state file.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string path, out ModelBundleManifest manifest)
    {
        var bundle = ModelBundle.Load(path);
        manifest = bundle.Manifest;
        if (!bundle.Contains(TrainingStateFile.FileName))
            throw new CompassFormatException(
                $"'{path}' has no {TrainingStateFile.FileName}: it was exported without the training state (the entropy models' parameters), so training cannot start from it; export it again, or start from its weights file.");
        var state = FromGraphs(name => bundle.Contains(name) ? bundle.GetBytes(name).ToArray() : null, path);
        try
        {
            TrainingStateFile.Apply(bundle.GetBytes(TrainingStateFile.FileName).Span, state, path);
            return state;
        }
        catch
        {
            foreach (var t in state.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>What the graphs of a bundle give back, as a prefixed state dict (no training-state file applied).</summary>
    /// <param name="file">The bytes of a bundle file, or null when the bundle lacks it.</param>
    /// <param name="source">The bundle, for messages.</param>
    internal static Dictionary<string, Tensor> FromGraphs(Func<string, byte[]?> file, string source)
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (prefix, key) in new[] { (BundleFiles.BasePrefix, "base."), (BundleFiles.ResidualPrefix, "residual.") })
        {
            var initializers = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var graph in new[] { BundleFiles.Analysis, BundleFiles.HyperSynthesis, BundleFiles.Synthesis })
                ReadInitializers(Required(file, prefix + graph, source), prefix + graph, source, initializers);
            foreach (var (name, value) in Codec(initializers)) state[key + name] = value;
        }
        var liff = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        ReadInitializers(Required(file, BundleFiles.LiffFeatures, source), BundleFiles.LiffFeatures, source, liff);
        ReadInitializers(Required(file, BundleFiles.LiffPredict, source), BundleFiles.LiffPredict, source, liff);
        foreach (var (name, value) in Liff(liff, source)) state["liff." + name] = value;
        return state;
    }

    private static byte[] Required(Func<string, byte[]?> file, string name, string source) =>
        file(name) ?? throw new CompassFormatException($"'{source}' has no {name}.");

    /// <summary>The float initialisers of one graph (fp16-stored ones, <c>name__f16</c>, under their float name).</summary>
    private static void ReadInitializers(byte[] bytes, string graphName, string source, Dictionary<string, Tensor> into)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            throw new CompassFormatException($"'{source}': {graphName} is not an ONNX model: {ex.Message}", ex);
        }
        foreach (var t in model.Graph.Initializer)
        {
            var dims = t.Dims.ToArray();
            float[] values;
            string name = t.Name;
            if (t.DataType == (int)TensorProto.Types.DataType.Float)
            {
                values = t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : [.. t.FloatData];
            }
            else if (t.DataType == (int)TensorProto.Types.DataType.Float16)
            {
                var halves = MemoryMarshal.Cast<byte, Half>(t.RawData.Span);
                values = new float[halves.Length];
                for (int i = 0; i < halves.Length; i++) values[i] = (float)halves[i];
                if (name.EndsWith(HalfSuffix, StringComparison.Ordinal)) name = name[..^HalfSuffix.Length];
            }
            else
            {
                continue; // int64 shape constants
            }
            long elements = dims.Aggregate(1L, (a, d) => a * d);
            if (elements != values.Length)
                throw new CompassFormatException($"'{source}': {graphName}: initialiser '{t.Name}' has {values.Length} values for shape [{string.Join(", ", dims)}].");
            into[name] = tensor(values).reshape(dims);
        }
    }

    private const string HalfSuffix = "__f16";

    /// <summary>A codec's parameters from its three graphs' initialisers.</summary>
    private static IEnumerable<(string, Tensor)> Codec(Dictionary<string, Tensor> initializers)
    {
        foreach (var (name, value) in initializers)
        {
            if (GdnKey().Match(name) is { Success: true } gdn)
            {
                // Effective gamma [C, C, 1, 1] (the weight) and beta [C] (the bias) back to the stored values.
                var layer = gdn.Groups[1].Value;
                var stored = value.add((float)Gdn.Pedestal).sqrt();
                yield return gdn.Groups[2].Value == "weight"
                    ? (layer + ".gamma", stored.reshape(value.shape[0], value.shape[1]))
                    : (layer + ".beta", stored);
            }
            else if (CodecKey().IsMatch(name))
            {
                yield return (name, value);
            }
            else if (SubPixelKey().Match(name) is { Success: true } sub)
            {
                yield return (sub.Groups[1].Value + "." + sub.Groups[2].Value, sub.Groups[2].Value == "weight"
                    ? SubPixelToTransposedWeight(value)
                    : value.reshape(-1, 4)[.., 0].contiguous());
            }
        }
    }

    /// <summary>LIFF's parameters from its two graphs' initialisers (the inverse of <c>LiffExporter</c>).</summary>
    private static IEnumerable<(string, Tensor)> Liff(Dictionary<string, Tensor> initializers, string source)
    {
        Tensor Get(string name) => initializers.TryGetValue(name, out var t) ? t
            : throw new CompassFormatException($"'{source}': the LIFF graphs have no initialiser '{name}' (not written by this exporter?).");
        const int Out = LiffConfig.OutputChannels;

        foreach (var name in new[] { "SFENet1", "SFENet2", "GFF.1" })
        {
            yield return (name + ".weight", Get(name + ".weight"));
            yield return (name + ".bias", Get(name + ".bias"));
        }
        // Dense connections: one conv per input part, concatenated back along the input channels; the bias is on part 0.
        foreach (var layer in initializers.Keys.Select(k => PartKey().Match(k)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList())
        {
            var parts = new List<Tensor>();
            for (int i = 0; initializers.ContainsKey($"{layer}.part{i}.weight"); i++) parts.Add(initializers[$"{layer}.part{i}.weight"]);
            yield return (layer + ".weight", cat(parts, 1));
            yield return (layer + ".bias", Get(layer + ".part0.bias"));
        }

        var first = Get("liff.first.weight");
        long hidden = first.shape[0], unfolded = first.shape[1] * first.shape[2] * first.shape[3];
        yield return ("imnet.0.weight", cat([first.reshape(hidden, unfolded), Get("liff.coord.weight"), Get("liff.cell.weight")], 1));
        yield return ("imnet.0.bias", Get("liff.first.bias"));
        int hiddenLayers = 0;
        while (initializers.ContainsKey($"imnet.{2 * (hiddenLayers + 1)}.weight"))
        {
            hiddenLayers++;
            yield return ($"imnet.{2 * hiddenLayers}.weight", Get($"imnet.{2 * hiddenLayers}.weight"));
            yield return ($"imnet.{2 * hiddenLayers}.bias", Get($"imnet.{2 * hiddenLayers}.bias"));
        }
        // W5 [unfolded * 3, hidden] was exported as filters [3 * hidden, G0, 3, 3] (row c * hidden + j), b5 as bias [3, G0, 3, 3].
        var last = $"imnet.{2 * (hiddenLayers + 1)}";
        yield return (last + ".weight", Get("liff.filters.weight").reshape(Out, hidden, unfolded).permute(2, 0, 1).reshape(unfolded * Out, hidden).contiguous());
        yield return (last + ".bias", Get("liff.bias.weight").reshape(Out, unfolded).t().reshape(unfolded * Out).contiguous());
    }

    [GeneratedRegex(@"^(g_[as]\.\d+)\.gamma\.(weight|bias)$")]
    private static partial Regex GdnKey();

    [GeneratedRegex(@"^(g_a|g_s|h_a|h_s)\.\d+\.(weight|bias)$")]
    private static partial Regex CodecKey();

    /// <summary>
    /// The inverse of <c>OnnxGraphBuilder.ConvTransposeStride2AsSubPixel</c> for 5x5 kernels (padding 2, output padding
    /// 1): sub-pixel weights [4 C_out, C_in, 3, 3] (output phase (a, b) of channel c in row 4c + 2a + b) back to the
    /// transposed convolution's [C_in, C_out, 5, 5]. Tap t of phase a sits at window offset e = (a + 2 - t) / 2 + 1.
    /// </summary>
    internal static Tensor SubPixelToTransposedWeight(Tensor sub)
    {
        const int K = 5, Pad = 2, Window = 3, EMin = -1;
        if (sub.shape.Length != 4 || sub.shape[0] % 4 != 0 || sub.shape[2] != Window || sub.shape[3] != Window)
            throw new CompassFormatException($"A sub-pixel deconvolution weight of shape [{string.Join(", ", sub.shape)}] is not [4 C_out, C_in, 3, 3].");
        int cout = (int)sub.shape[0] / 4, cin = (int)sub.shape[1];
        var s = sub.contiguous().data<float>().ToArray();
        var w = new float[cin * cout * K * K];
        for (int c = 0; c < cout; c++)
        {
            for (int ty = 0; ty < K; ty++)
            {
                int a = (ty + Pad) % 2, ey = ((a + Pad - ty) / 2) - EMin;
                for (int tx = 0; tx < K; tx++)
                {
                    int bb = (tx + Pad) % 2, ex = ((bb + Pad - tx) / 2) - EMin;
                    int oc = (c * 4) + (a * 2) + bb;
                    for (int i = 0; i < cin; i++)
                        w[(((((i * cout) + c) * K) + ty) * K) + tx] = s[(((((oc * cin) + i) * Window) + ey) * Window) + ex];
                }
            }
        }
        return tensor(w).reshape(cin, cout, K, K);
    }

    [GeneratedRegex(@"^((?:g_s|h_s)\.\d+)\.subpixel\.(weight|bias)$")]
    private static partial Regex SubPixelKey();

    [GeneratedRegex(@"^(.+)\.part(\d+)\.weight$")]
    private static partial Regex PartKey();
}
