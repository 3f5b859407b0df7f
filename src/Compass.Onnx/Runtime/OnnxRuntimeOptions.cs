using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Compass.Onnx;

/// <summary>How ONNX Runtime sessions for the Compass networks are created.</summary>
public sealed class OnnxRuntimeOptions
{
    private readonly int _intraOpThreads;
    private readonly int _interOpThreads;
    private readonly int _cudaDeviceId;

    /// <summary>Options with every default: <see cref="ExecutionProvider.Auto"/>, ORT's thread defaults, all graph optimisations.</summary>
    public static OnnxRuntimeOptions Default { get; } = new();

    /// <summary>The execution provider to use; <see cref="ExecutionProvider.Auto"/> by default.</summary>
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Auto;

    /// <summary>Threads used inside one operator; 0 (the default) lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads
    {
        get => _intraOpThreads;
        init => _intraOpThreads = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), value, "Must be 0 (default) or positive.");
    }

    /// <summary>Threads used to run independent operators in parallel; 0 (the default) lets ONNX Runtime choose.</summary>
    public int InterOpThreads
    {
        get => _interOpThreads;
        init => _interOpThreads = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(InterOpThreads), value, "Must be 0 (default) or positive.");
    }

    /// <summary>
    /// Whether idle intra-op threads spin-wait for work (ONNX Runtime's <c>session.intra_op.allow_spinning</c>); false by
    /// default. Spinning saves microseconds per operator on an idle machine but burns the cores that the other session
    /// (a decode runs the LIFF prediction and the residual decode at once) or other processes need: on a shared 2-core
    /// machine a 3-layer Kodak decode took 1.5x as long with spinning on.
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>
    /// Whether ONNX Runtime keeps its CPU memory arena and memory-pattern planning (<c>EnableCpuMemArena</c>,
    /// <c>EnableMemoryPattern</c>); false by default. The arena keeps every buffer it ever grew to for the session's
    /// life: with large images, tiled or not, each graph's arena holds hundreds of MB (a 6000x4000 decode peaked at
    /// 5.0 GB with it, 2.7 GB without, identical output). See docs/performance.md for its effect on speed.
    /// </summary>
    public bool EnableMemoryArena { get; init; }

    /// <summary>
    /// Whether each graph's ONNX Runtime session is created when the graph first runs instead of when the model loads;
    /// false by default. Session creation (parsing and optimising the graph) is most of a model load, and a decode never
    /// runs the analysis graphs, nor a base-layer-only decode the LIFF and residual graphs: a command-line tool that
    /// decodes once pays only for the sessions it uses. The bundle's files are then read (inflated, hash-checked) on first
    /// use too, as are a codec's entropy tables: the manifest and the config are checked at load, and a file that fails
    /// its hash or a graph that is not a valid ONNX model, or does not match the config, fails its first use (with the
    /// same <see cref="CompassFormatException"/>) rather than the load. On a build with the CUDA provider
    /// and <see cref="ExecutionProvider.Auto"/> or <see cref="ExecutionProvider.Cuda"/>, every session is still created
    /// at load, since only a session tells which provider a graph really runs on.
    /// </summary>
    public bool CreateSessionsOnFirstUse { get; init; }

    /// <summary>Graph optimisation level; <see cref="GraphOptimizationLevel.ORT_ENABLE_ALL"/> by default.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>The CUDA device ordinal used by the CUDA provider; 0 by default.</summary>
    public int CudaDeviceId
    {
        get => _cudaDeviceId;
        init => _cudaDeviceId = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(CudaDeviceId), value, "Must be non-negative.");
    }

    /// <summary>Receives provider choices and fallback reasons; <see cref="NullLogger.Instance"/> by default.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>
    /// Creates the ONNX Runtime session that Compass itself would create for one graph with these options (provider
    /// choice and CUDA fallback, threads, spinning, arena, optimisation level): for timing or inspecting a single graph
    /// of a model bundle (<see cref="Bundles.ModelBundle.GetBytes"/>). The caller disposes it.
    /// </summary>
    /// <param name="model">The ONNX model's bytes.</param>
    /// <param name="graphName">A name for messages and logs, such as the bundle file name.</param>
    /// <param name="provider">Where the session runs (<see cref="ExecutionProvider.Cpu"/> after an Auto fallback).</param>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing (reference Compass.Onnx.Cpu or Compass.Onnx.Gpu).</exception>
    /// <exception cref="NotSupportedException"><see cref="Provider"/> is <see cref="ExecutionProvider.Cuda"/> and CUDA cannot be set up.</exception>
    [Experimental(ExperimentalApis.Backend)]
    public InferenceSession CreateSession(byte[] model, string graphName, out ExecutionProvider provider)
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        return OnnxSessionFactory.Create(model, this, graphName, out provider);
    }
}
