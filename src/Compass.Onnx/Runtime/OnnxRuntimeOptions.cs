using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Compass.Onnx;

/// <summary>How ONNX Runtime sessions for the Compass networks are created.</summary>
public sealed class OnnxRuntimeOptions
{
    private readonly int intraOpThreads;
    private readonly int interOpThreads;
    private readonly int cudaDeviceId;

    /// <summary>Options with every default: <see cref="ExecutionProvider.Auto"/>, ORT's thread defaults, all graph optimisations.</summary>
    public static OnnxRuntimeOptions Default { get; } = new();

    /// <summary>The execution provider to use; <see cref="ExecutionProvider.Auto"/> by default.</summary>
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Auto;

    /// <summary>Threads used inside one operator; 0 (the default) lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads
    {
        get => intraOpThreads;
        init => intraOpThreads = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), value, "Must be 0 (default) or positive.");
    }

    /// <summary>Threads used to run independent operators in parallel; 0 (the default) lets ONNX Runtime choose.</summary>
    public int InterOpThreads
    {
        get => interOpThreads;
        init => interOpThreads = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(InterOpThreads), value, "Must be 0 (default) or positive.");
    }

    /// <summary>Experiment knob: ORT's session.intra_op.allow_spinning (null: ORT's default, spinning on).</summary>
    internal bool? AllowSpinning { get; init; }

    /// <summary>Graph optimisation level; <see cref="GraphOptimizationLevel.ORT_ENABLE_ALL"/> by default.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>The CUDA device ordinal used by the CUDA provider; 0 by default.</summary>
    public int CudaDeviceId
    {
        get => cudaDeviceId;
        init => cudaDeviceId = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(CudaDeviceId), value, "Must be non-negative.");
    }

    /// <summary>Receives provider choices and fallback reasons; <see cref="NullLogger.Instance"/> by default.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}
