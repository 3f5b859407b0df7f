using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Compass.Onnx;

/// <summary>
/// Creates <see cref="InferenceSession"/>s on the provider the options ask for. CUDA setup failures
/// (ORT 1.31's CUDA provider needs CUDA 13 + cuDNN 9; without them <c>AppendExecutionProvider_CUDA</c>
/// throws, and a missing device fails at session creation) are caught around the whole CUDA attempt:
/// <see cref="ExecutionProvider.Auto"/> logs the reason and builds a CPU session,
/// <see cref="ExecutionProvider.Cuda"/> rethrows as <see cref="NotSupportedException"/>.
/// <see cref="ExecutionProvider.Auto"/> remembers, for the process, that the CUDA provider could not be set up
/// and goes straight to the CPU afterwards: each failed attempt makes ONNX Runtime print an error line of its
/// own, and a model has ten graphs. <see cref="ExecutionProvider.Cuda"/> always tries.
/// </summary>
internal static class OnnxSessionFactory
{
    /// <summary>Why the CUDA provider could not be set up in this process (null: not tried, or it worked).</summary>
    private static volatile string? s_cudaUnavailable;

    /// <summary>Creates a session for <paramref name="model"/> and reports the provider it runs on.</summary>
    public static InferenceSession Create(byte[] model, OnnxRuntimeOptions options, string graphName, out ExecutionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var logger = options.Logger;

        if (options.Provider == ExecutionProvider.Cpu)
        {
            provider = ExecutionProvider.Cpu;
            return CreateCpu(model, options, graphName, logger);
        }

        if (options.Provider == ExecutionProvider.Auto && s_cudaUnavailable is { } known)
        {
            logger.LogInformation(
                "CUDA execution provider unavailable for ONNX graph '{Graph}', falling back to the CPU: {Reason}", graphName, known);
            provider = ExecutionProvider.Cpu;
            return CreateCpu(model, options, graphName, logger);
        }

        try
        {
            var session = CreateCuda(model, options);
            provider = ExecutionProvider.Cuda;
            logger.LogInformation("ONNX graph '{Graph}' runs on the CUDA execution provider (device {Device}).", graphName, options.CudaDeviceId);
            return session;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (options.Provider == ExecutionProvider.Cuda)
            {
                throw new NotSupportedException(
                    $"The CUDA execution provider is not available for ONNX graph '{graphName}' (device {options.CudaDeviceId}): {ex.Message.Trim()}. " +
                    "ONNX Runtime 1.31 needs an NVIDIA GPU with CUDA 13 and cuDNN 9; use ExecutionProvider.Auto to fall back to the CPU.",
                    ex);
            }

            s_cudaUnavailable = ex.Message.Trim();
            logger.LogInformation(
                "CUDA execution provider unavailable for ONNX graph '{Graph}', falling back to the CPU: {Reason}",
                graphName, ex.Message.Trim());
        }

        provider = ExecutionProvider.Cpu;
        return CreateCpu(model, options, graphName, logger);
    }

    private static InferenceSession CreateCuda(byte[] model, OnnxRuntimeOptions options)
    {
        using var sessionOptions = BaseOptions(options);
        sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
        return new InferenceSession(model, sessionOptions);
    }

    private static InferenceSession CreateCpu(byte[] model, OnnxRuntimeOptions options, string graphName, ILogger logger)
    {
        using var sessionOptions = BaseOptions(options);
        var session = new InferenceSession(model, sessionOptions);
        logger.LogDebug("ONNX graph '{Graph}' runs on the CPU execution provider.", graphName);
        return session;
    }

    private static SessionOptions BaseOptions(OnnxRuntimeOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.OptimizationLevel,
            EnableCpuMemArena = options.EnableMemoryArena,
            EnableMemoryPattern = options.EnableMemoryArena,
        };
        try
        {
            if (options.IntraOpThreads > 0)
            {
                sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
            }

            if (options.InterOpThreads > 0)
            {
                sessionOptions.InterOpNumThreads = options.InterOpThreads;
            }

            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");

            return sessionOptions;
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }
}
