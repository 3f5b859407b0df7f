using System.Diagnostics;
using System.Runtime.InteropServices;
using Compass.Bitstream;
using Compass.Bundles;
using Compass.Determinism;
using Compass.Imaging;
using Compass.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Compass.Onnx;

/// <summary>
/// The networks of one bundle (one quality) on ONNX Runtime: the eight graphs of the bundle, created once
/// and reused, run over the pipeline's own float arrays (inputs pinned, outputs written in place).
/// </summary>
/// <remarks>Thread-safe: ONNX Runtime's Run is, and nothing here is mutable after construction.</remarks>
internal sealed class OnnxCompassNetworks : ICompassNetworks, IDisposable
{
    /// <summary>Default number of target pixels per <c>liff/predict</c> run.</summary>
    public const int DefaultPredictChunk = 16384;

    private readonly CodecGraphs[] _codecs;
    private readonly LazyGraph _liffFeatures;
    private readonly LazyGraph _liffPredict;
    private readonly int _predictChunk;

    /// <summary>
    /// The LIFF feature buffers of the last prediction (one native block for the three outputs), kept for the next
    /// tile or call until <see cref="ReleaseScratch"/>; null while a prediction holds it or after a release.
    /// </summary>
    private NativeFloatBuffer? _featureCache;

    private OnnxCompassNetworks(ModelBundle bundle, BundleConfig config, CodecGraphs[] codecs, LazyGraph liffFeatures, LazyGraph liffPredict, int predictChunk)
    {
        Bundle = bundle;
        Config = config;
        _codecs = codecs;
        _liffFeatures = liffFeatures;
        _liffPredict = liffPredict;
        _predictChunk = predictChunk;
    }

    /// <summary>The bundle these networks come from.</summary>
    public ModelBundle Bundle { get; }

    /// <summary>The architecture recorded in the manifest (checked against the graphs).</summary>
    public BundleConfig Config { get; }

    /// <summary>Cuda when every graph runs on CUDA, else Cpu.</summary>
    public ExecutionProvider Provider { get; private set; }

    /// <inheritdoc />
    public ModelIdentity ModelId => Bundle.Identity;

    /// <summary>
    /// Reads the tables of <paramref name="bundle"/> and creates the sessions of its graphs, each checked against the config:
    /// all of them now, or each on its first use with <see cref="OnnxRuntimeOptions.CreateSessionsOnFirstUse"/>.
    /// </summary>
    /// <exception cref="CompassFormatException">A file is missing, a graph does not load, or shapes do not match the config
    /// (with sessions created on first use, a graph's or a table's own problems surface from its first use instead).</exception>
    public static OnnxCompassNetworks Create(ModelBundle bundle, OnnxRuntimeOptions? options = null, int predictChunk = DefaultPredictChunk)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentOutOfRangeException.ThrowIfLessThan(predictChunk, 1);
        options ??= OnnxRuntimeOptions.Default;
        var source = bundle.Manifest.Name;
        var config = BundleConfig.Parse(bundle.Manifest.Config, source);
        foreach (var file in BundleFiles.Required)
        {
            if (!bundle.Contains(file))
                throw new CompassFormatException($"Model bundle '{source}' has no '{file}'; a COMPASS bundle needs {string.Join(", ", BundleFiles.Required)}.");
        }

        var codecs = new CodecGraphs[2];
        foreach (var role in new[] { CodecRole.Base, CodecRole.Residual })
        {
            var prefix = BundleFiles.Prefix(role);
            var sizes = role == CodecRole.Base ? config.Base : config.Residual;
            var tables = new Lazy<CodecTables>(() => ReadTables(bundle, prefix, sizes, source), LazyThreadSafetyMode.ExecutionAndPublication);
            codecs[(int)role] = new CodecGraphs(
                new LazyGraph(bundle, prefix + BundleFiles.Analysis, options,
                    inputs: [("x", [1, 3, -1, -1])], outputs: [("y", [1, sizes.M, -1, -1]), ("z", [1, sizes.N, -1, -1])]),
                new LazyGraph(bundle, prefix + BundleFiles.HyperSynthesis, options,
                    inputs: [("z_hat", [1, sizes.N, -1, -1]), ("y_size", [2])], outputs: [("scales", [1, sizes.M, -1, -1]), ("means", [1, sizes.M, -1, -1])]),
                new LazyGraph(bundle, prefix + BundleFiles.Synthesis, options,
                    inputs: [("y_hat", [1, sizes.M, -1, -1]), ("image_size", [2])], outputs: [("x_hat", [1, 3, -1, -1])]),
                tables, sizes.N, sizes.M);
        }

        int hidden = config.Liff.HiddenWidth;
        var features = new LazyGraph(bundle, BundleFiles.LiffFeatures, options,
            inputs: [("x", [1, 3, -1, -1])], outputs: [("first", [-1, hidden]), ("filters", [-1, 3 * hidden]), ("bias", [-1, 3])]);
        var predict = new LazyGraph(bundle, BundleFiles.LiffPredict, options,
            inputs: [("first", [-1, hidden]), ("filters", [-1, 3 * hidden]), ("bias", [-1, 3]), ("index", [-1]), ("coord", [-1, 2]), ("cell", [2])],
            outputs: [("rgb", [-1, 3])]);
        var networks = new OnnxCompassNetworks(bundle, config, codecs, features, predict, predictChunk);
        try
        {
            // Eager (the default): every session now, so that a bad graph fails the load. On first use: only when the
            // provider cannot be known without a session (a CUDA build asked for Auto or Cuda).
            if (!options.CreateSessionsOnFirstUse)
            {
                foreach (var codec in codecs) _ = codec.Tables.Value;
            }
            if (!options.CreateSessionsOnFirstUse || (options.Provider != ExecutionProvider.Cpu && OnnxRuntimeNatives.HasCudaProvider))
            {
                foreach (var graph in networks.AllGraphs) _ = graph.Value;
            }
            networks.Provider = networks.ResolveProvider();
            return networks;
        }
        catch
        {
            networks.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="file"/>'s ONNX Runtime session exists yet (with <see cref="OnnxRuntimeOptions.CreateSessionsOnFirstUse"/>, only the graphs that ran).</summary>
    internal bool HasSession(string file) => AllGraphs.Any(g => g.File == file && g.IsCreated);

    private IEnumerable<LazyGraph> AllGraphs => _codecs.SelectMany(c => c.Graphs).Append(_liffFeatures).Append(_liffPredict);

    // Every session exists (eager, or forced above): the providers they run on. Otherwise none does, and the CPU is
    // certain: the options ask for it, or the loaded ONNX Runtime has no CUDA provider.
    private ExecutionProvider ResolveProvider() =>
        AllGraphs.All(g => g.IsCreated)
            ? AllGraphs.All(g => g.Value.Provider == ExecutionProvider.Cuda) ? ExecutionProvider.Cuda : ExecutionProvider.Cpu
            : ExecutionProvider.Cpu;

    /// <inheritdoc />
    public CodecTables GetTables(CodecRole role) => Codec(role).Tables.Value;

    // A codec's entropy tables (and fixed-point h_s scales when the bundle has them), checked against the config.
    private static CodecTables ReadTables(ModelBundle bundle, string prefix, BundleConfig.Codec sizes, string source)
    {
        var tables = EntropyTablesFile.Read(bundle.GetBytes(prefix + BundleFiles.Entropy).Span, $"'{source}' {prefix}{BundleFiles.Entropy}");
        if (bundle.FileNames.Contains(prefix + BundleFiles.HyperScales))
        {
            var hyperScales = FixedPointHyperScales.Load(bundle.GetBytes(prefix + BundleFiles.HyperScales).Span);
            if (hyperScales.YChannels != sizes.M)
                throw new CompassFormatException($"Model bundle '{source}': {prefix}{BundleFiles.HyperScales} has {hyperScales.YChannels} y channels, the config says M = {sizes.M}.");
            tables = new CodecTables(tables.ZTables, tables.ZMedians, tables.YTables, tables.ScaleIndexer, hyperScales);
        }
        if (tables.ZChannels != sizes.N)
            throw new CompassFormatException($"Model bundle '{source}': {prefix}{BundleFiles.Entropy} has {tables.ZChannels} z tables, the config says N = {sizes.N}.");
        return tables;
    }

    /// <inheritdoc />
    public (LatentTensor Y, LatentTensor Z) Analyze(CodecRole role, PlanarImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var codec = Codec(role);
        int h = image.Height, w = image.Width;
        var y = new LatentTensor(codec.M, LatentGeometry.YExtent(h), LatentGeometry.YExtent(w));
        var z = new LatentTensor(codec.N, LatentGeometry.ZExtent(h), LatentGeometry.ZExtent(w));
        codec.Analysis.Value.Run(
            [OnnxInput.Float("x", image.Data, 1, 3, h, w)],
            [Output("y", y), Output("z", z)]);
        return (y, z);
    }

    /// <inheritdoc />
    public (LatentTensor Scales, LatentTensor Means) HyperSynthesize(CodecRole role, LatentTensor zHat, int yHeight, int yWidth)
    {
        ArgumentNullException.ThrowIfNull(zHat);
        var codec = Codec(role);
        var scales = new LatentTensor(codec.M, yHeight, yWidth);
        var means = new LatentTensor(codec.M, yHeight, yWidth);
        codec.HyperSynthesis.Value.Run(
            [OnnxInput.Float("z_hat", zHat.Data, 1, zHat.Channels, zHat.Height, zHat.Width), OnnxInput.Int64("y_size", new long[] { yHeight, yWidth }, 2)],
            [Output("scales", scales), Output("means", means)]);
        return (scales, means);
    }

    /// <inheritdoc />
    public PlanarImage Synthesize(CodecRole role, LatentTensor yHat, int width, int height)
    {
        var image = new PlanarImage(width, height);
        Synthesize(role, yHat, image);
        return image;
    }

    /// <inheritdoc />
    public void Synthesize(CodecRole role, LatentTensor yHat, PlanarImage destination)
    {
        ArgumentNullException.ThrowIfNull(yHat);
        ArgumentNullException.ThrowIfNull(destination);
        int width = destination.Width, height = destination.Height;
        Codec(role).Synthesis.Value.Run(
            [OnnxInput.Float("y_hat", yHat.Data, 1, yHat.Channels, yHat.Height, yHat.Width), OnnxInput.Int64("image_size", new long[] { height, width }, 2)],
            [new OnnxOutputBuffer("x_hat", destination.Data, 1, 3, height, width)]);
    }

    /// <inheritdoc />
    /// <remarks>The 3x3 convolutions of the RDN (SFENet1, SFENet2, GFF.1 and one per dense layer) and the 3x3 unfold.</remarks>
    public int LiffRadius => 4 + (Config.Liff.Blocks * Config.Liff.LayersPerBlock);

    /// <inheritdoc />
    public PlanarImage Predict(PlanarImage source, LiffWindow window, CancellationToken cancellationToken)
    {
        var output = new PlanarImage(window.Target.Width, window.Target.Height);
        Predict(source, window, output, cancellationToken);
        return output;
    }

    /// <inheritdoc />
    public void Predict(PlanarImage source, LiffWindow window, PlanarImage destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Width != window.Target.Width || destination.Height != window.Target.Height)
            throw new ArgumentException($"The destination is {destination.Width}x{destination.Height}, the target window {window.Target}.", nameof(destination));
        if (source.Width != window.Source.Width || source.Height != window.Source.Height)
            throw new ArgumentException($"The source window is {window.Source}, the image {source.Width}x{source.Height}.", nameof(source));
        cancellationToken.ThrowIfCancellationRequested();
        int hidden = Config.Liff.HiddenWidth;
        long sourcePixels = (long)source.Width * source.Height;
        // The per-pixel filters are the largest buffers of a decode (259 floats per source pixel, ~170 MB per LIFF
        // tile): one native block, reused across the tiles of a layer and across calls, freed by ReleaseScratch (the
        // pipeline calls it after a multi-tile prediction, so the analysis or synthesis that follows has the memory).
        int firstLength = checked((int)(sourcePixels * hidden)), filtersLength = checked((int)(sourcePixels * 3 * hidden)), biasLength = checked((int)(sourcePixels * 3));
        var buffer = RentFeatures(checked(firstLength + filtersLength + biasLength));
        try
        {
            PredictFromFeatures(source, window, sourcePixels, hidden,
                buffer.Slice(0, firstLength), buffer.Slice(firstLength, filtersLength), buffer.Slice(firstLength + filtersLength, biasLength),
                destination, cancellationToken);
        }
        finally
        {
            ReturnFeatures(buffer);
        }
    }

    /// <summary>Frees the LIFF feature buffers kept between predictions (hundreds of MB after a large layer).</summary>
    public void ReleaseScratch() => ((IDisposable?)Interlocked.Exchange(ref _featureCache, null))?.Dispose();

    /// <summary>Floats held in the feature cache now (0 after <see cref="ReleaseScratch"/>).</summary>
    internal int CachedScratchFloats => Volatile.Read(ref _featureCache)?.Length ?? 0;

    // Predictions may run on several threads at once: each takes the cached block or allocates its own, and puts it
    // back only if the cache is empty then.
    private NativeFloatBuffer RentFeatures(int length)
    {
        var cached = Interlocked.Exchange(ref _featureCache, null);
        if (cached is not null && cached.Length >= length) return cached;
        ((IDisposable?)cached)?.Dispose();
        return new NativeFloatBuffer(length);
    }

    private void ReturnFeatures(NativeFloatBuffer buffer)
    {
        if (Interlocked.CompareExchange(ref _featureCache, buffer, null) is not null)
            ((IDisposable)buffer).Dispose();
    }

    private void PredictFromFeatures(PlanarImage source, LiffWindow window, long sourcePixels, int hidden,
        Memory<float> first, Memory<float> filters, Memory<float> bias, PlanarImage output, CancellationToken cancellationToken)
    {
        _liffFeatures.Value.Run(
            [OnnxInput.Float("x", source.Data, 1, 3, source.Height, source.Width)],
            [new OnnxOutputBuffer("first", first, sourcePixels, hidden), new OnnxOutputBuffer("filters", filters, sourcePixels, 3 * hidden),
             new OnnxOutputBuffer("bias", bias, sourcePixels, 3)],
            cancellationToken);

        // The query geometry of the whole layer; indices are shifted into the window.
        var grid = LiffGrid.Create(window.SourceHeight, window.SourceWidth, window.TargetHeight, window.TargetWidth);
        var target = window.Target;
        int width = target.Width, height = target.Height;
        int total = width * height, chunk = Math.Min(_predictChunk, total);
        var index = new long[chunk];
        var coord = new float[2 * chunk];
        var rgb = new float[3 * chunk];
        float[] cell = [grid.ScaleY, grid.ScaleX];
        for (int start = 0; start < total; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(chunk, total - start);
            for (int k = 0; k < count; k++)
            {
                int p = start + k, i = target.Y + (p / width), j = target.X + (p % width);
                int si = grid.RowIndex[i] - window.Source.Y, sj = grid.ColumnIndex[j] - window.Source.X;
                if ((uint)si >= (uint)source.Height || (uint)sj >= (uint)source.Width)
                    throw new ArgumentException($"Target pixel ({i}, {j}) needs a source pixel outside the window {window.Source}.", nameof(window));
                index[k] = ((long)si * source.Width) + sj;
                coord[2 * k] = grid.RowOffset[i];
                coord[(2 * k) + 1] = grid.ColumnOffset[j];
            }
            _liffPredict.Value.Run(
                [OnnxInput.Float("first", first, sourcePixels, hidden), OnnxInput.Float("filters", filters, sourcePixels, 3 * hidden),
                 OnnxInput.Float("bias", bias, sourcePixels, 3), OnnxInput.Int64("index", index.AsMemory(0, count), count),
                 OnnxInput.Float("coord", coord.AsMemory(0, 2 * count), count, 2), OnnxInput.Float("cell", cell, 2)],
                [new OnnxOutputBuffer("rgb", rgb.AsMemory(0, 3 * count), count, 3)],
                cancellationToken);
            // [n, 3] rows to planar CHW.
            int plane = output.PlaneLength;
            var data = output.Data;
            for (int k = 0; k < count; k++)
            {
                data[start + k] = rgb[3 * k];
                data[plane + start + k] = rgb[(3 * k) + 1];
                data[(2 * plane) + start + k] = rgb[(3 * k) + 2];
            }
        }
    }

    /// <summary>Releases every session and the scratch buffers.</summary>
    public void Dispose()
    {
        ReleaseScratch();
        foreach (var g in AllGraphs) g.Dispose();
    }

    private CodecGraphs Codec(CodecRole role) => role switch
    {
        CodecRole.Base => _codecs[0],
        CodecRole.Residual => _codecs[1],
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    // ONNX Runtime takes a byte[]: use the bundle's own array (GetBytes wraps it whole) rather than copying hundreds of MB.
    private static byte[] BackingArray(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToArray();

    private static OnnxOutputBuffer Output(string name, LatentTensor t) => new(name, t.Data, 1, t.Channels, t.Height, t.Width);

    private static void Expect(OnnxGraph graph, string source, (string Name, int[] Dims)[] inputs, (string Name, int[] Dims)[] outputs)
    {
        foreach (var (name, dims) in inputs) Check(graph, source, "input", name, dims, graph.InputDimensions(name));
        foreach (var (name, dims) in outputs) Check(graph, source, "output", name, dims, graph.OutputDimensions(name));
        if (graph.InputNames.Count != inputs.Length)
            throw new CompassFormatException($"Model bundle '{source}': '{graph.Name}' has inputs [{string.Join(", ", graph.InputNames)}], expected [{string.Join(", ", inputs.Select(i => i.Name))}].");
    }

    private static void Check(OnnxGraph graph, string source, string kind, string name, int[] expected, int[]? actual)
    {
        if (actual is null)
            throw new CompassFormatException($"Model bundle '{source}': '{graph.Name}' has no {kind} '{name}'.");
        // A fixed expected size must be declared as that size; -1 (dynamic) accepts anything.
        bool ok = actual.Length == expected.Length && expected.Zip(actual).All(d => d.First < 0 || d.First == d.Second);
        if (!ok)
            throw new CompassFormatException(
                $"Model bundle '{source}': '{graph.Name}' {kind} '{name}' is [{string.Join(", ", actual)}], the bundle config needs [{string.Join(", ", expected.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}].");
    }

    private sealed record CodecGraphs(LazyGraph Analysis, LazyGraph HyperSynthesis, LazyGraph Synthesis, Lazy<CodecTables> Tables, int N, int M)
    {
        public IEnumerable<LazyGraph> Graphs => [Analysis, HyperSynthesis, Synthesis];
    }

    /// <summary>
    /// One graph of the bundle whose session is created on first <see cref="Value"/> (once, thread-safe) and checked
    /// against the shapes the config implies. A failed creation is remembered and rethrown on every later use.
    /// </summary>
    private sealed class LazyGraph : IDisposable
    {
        private readonly Lazy<OnnxGraph> _graph;

        public LazyGraph(ModelBundle bundle, string file, OnnxRuntimeOptions options, (string Name, int[] Dims)[] inputs, (string Name, int[] Dims)[] outputs)
        {
            File = file;
            _graph = new Lazy<OnnxGraph>(() => Create(bundle, file, options, inputs, outputs), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>The graph's file in the bundle (e.g. "bl/synthesis.onnx").</summary>
        public string File { get; }

        public bool IsCreated => _graph.IsValueCreated;

        public OnnxGraph Value => _graph.Value;

        public void Dispose()
        {
            if (_graph.IsValueCreated) _graph.Value.Dispose();
        }

        private static OnnxGraph Create(ModelBundle bundle, string file, OnnxRuntimeOptions options, (string Name, int[] Dims)[] inputs, (string Name, int[] Dims)[] outputs)
        {
            var source = bundle.Manifest.Name;
            long started = Stopwatch.GetTimestamp();
            OnnxGraph graph;
            try
            {
                graph = OnnxGraph.Load(file, BackingArray(bundle.GetBytes(file)), options);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new CompassFormatException($"Model bundle '{source}': '{file}' is not a valid ONNX model: {ex.Message}", ex);
            }
            try
            {
                Expect(graph, source, inputs, outputs);
            }
            catch
            {
                graph.Dispose();
                throw;
            }
            options.Logger.LogDebug("ONNX graph '{Graph}': session created in {Milliseconds:0} ms.", file, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return graph;
        }
    }
}
