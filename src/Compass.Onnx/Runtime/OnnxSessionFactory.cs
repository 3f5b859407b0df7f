using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Compass.Onnx;

/// <summary>
/// Creates <see cref="InferenceSession"/>s on the provider the options ask for.
/// </summary>
/// <remarks>
/// <para>
/// ONNX Runtime's native library comes from Compass.Onnx.Cpu (no CUDA provider in the build) or Compass.Onnx.Gpu
/// (CUDA provider, which needs CUDA 13 + cuDNN 9 at run time): <see cref="OnnxRuntimeNatives"/> loads it first and
/// names the packages when it is missing. With a build that has no CUDA provider, <see cref="ExecutionProvider.Auto"/>
/// goes straight to the CPU.
/// </para>
/// <para>
/// CUDA setup failures (without CUDA 13 + cuDNN 9 <c>AppendExecutionProvider_CUDA</c> throws; a missing device
/// fails at session creation) are caught around the whole CUDA attempt: <see cref="ExecutionProvider.Auto"/>
/// falls back to a CPU session, <see cref="ExecutionProvider.Cuda"/> rethrows as <see cref="NotSupportedException"/>.
/// Auto remembers, for the process, that CUDA could not be set up and goes straight to the CPU afterwards (a model
/// has ten graphs); the fallback is logged once at Information, the graphs that follow at Debug.
/// </para>
/// <para>
/// Until CUDA has worked once in the process, each CUDA attempt runs with ONNX Runtime's environment log level at
/// Fatal: a failed provider load is otherwise printed by ONNX Runtime itself as a red <c>[E:onnxruntime...]</c> line
/// on stderr before the call throws, on every machine without CUDA. The exception carries the same reason, which is
/// logged through <see cref="OnnxRuntimeOptions.Logger"/> instead. Sessions log at Error and above only (ONNX
/// Runtime warns, for instance, about every node it places on the CPU next to CUDA).
/// </para>
/// </remarks>
internal static class OnnxSessionFactory
{
    private static readonly Lock CudaAttempt = new();

    /// <summary>Why the CUDA provider could not be set up in this process (null: not tried, or it worked).</summary>
    private static volatile string? _cudaUnavailable;

    /// <summary>Whether a CUDA session has been created in this process (from then on no attempt is silenced).</summary>
    private static volatile bool _cudaWorked;

    /// <summary>1 once the CPU fallback has been logged at Information in this process.</summary>
    private static int _fallbackLogged;

    /// <summary>Creates a session for <paramref name="model"/> and reports the provider it runs on.</summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing (neither Compass.Onnx.Cpu nor Compass.Onnx.Gpu is referenced).</exception>
    /// <exception cref="NotSupportedException"><see cref="ExecutionProvider.Cuda"/> was asked for and CUDA cannot be set up.</exception>
    public static InferenceSession Create(byte[] model, OnnxRuntimeOptions options, string graphName, out ExecutionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var logger = options.Logger;
        var environment = OnnxRuntimeNatives.Environment;

        if (options.Provider == ExecutionProvider.Cpu)
        {
            provider = ExecutionProvider.Cpu;
            return CreateCpu(model, options, graphName, logger);
        }

        if (!OnnxRuntimeNatives.HasCudaProvider)
        {
            const string reason = "the loaded ONNX Runtime build has no CUDA execution provider (Compass.Onnx.Cpu or Microsoft.ML.OnnxRuntime; Compass.Onnx.Gpu brings the CUDA build)";
            if (options.Provider == ExecutionProvider.Cuda)
                throw new NotSupportedException($"The CUDA execution provider is not available for ONNX graph '{graphName}': {reason}.");

            // The expected case of a CPU-only app: nothing worth more than Debug.
            logger.LogDebug("ONNX graph '{Graph}' runs on the CPU: {Reason}.", graphName, reason);
            provider = ExecutionProvider.Cpu;
            return CreateCpu(model, options, graphName, logger);
        }

        if (options.Provider == ExecutionProvider.Auto && _cudaUnavailable is { } known)
        {
            LogFallback(logger, graphName, known);
            provider = ExecutionProvider.Cpu;
            return CreateCpu(model, options, graphName, logger);
        }

        try
        {
            var session = CreateCuda(environment, model, options, graphName);
            provider = ExecutionProvider.Cuda;
            logger.LogInformation("ONNX graph '{Graph}' runs on the CUDA execution provider (device {Device}).", graphName, options.CudaDeviceId);
            return session;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var reason = ex.Message.Trim();
            if (options.Provider == ExecutionProvider.Cuda)
            {
                throw new NotSupportedException(
                    $"The CUDA execution provider is not available for ONNX graph '{graphName}' (device {options.CudaDeviceId}): {reason}. " +
                    "ONNX Runtime 1.31 needs an NVIDIA GPU with CUDA 13 and cuDNN 9; use ExecutionProvider.Auto to fall back to the CPU.",
                    ex);
            }

            _cudaUnavailable = reason;
            LogFallback(logger, graphName, reason);
        }

        provider = ExecutionProvider.Cpu;
        return CreateCpu(model, options, graphName, logger);
    }

    private static void LogFallback(ILogger logger, string graphName, string reason)
    {
        if (Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
        {
            logger.LogInformation(
                "The CUDA execution provider cannot be set up ({Reason}); the ONNX graphs run on the CPU. " +
                "ONNX Runtime 1.31 needs an NVIDIA GPU with CUDA 13 and cuDNN 9.", reason);
        }

        logger.LogDebug("ONNX graph '{Graph}' runs on the CPU execution provider (CUDA unavailable).", graphName);
    }

    private static InferenceSession CreateCuda(OrtEnv environment, byte[] model, OnnxRuntimeOptions options, string graphName)
    {
        if (_cudaWorked)
            return CreateCudaSession(model, options, graphName);

        // The environment's log level is process-wide: attempts are serialised so that each one restores the
        // level it found. Other threads' ONNX Runtime lines are silenced only while an attempt runs.
        lock (CudaAttempt)
        {
            var previous = environment.EnvLogLevel;
            environment.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            try
            {
                var session = CreateCudaSession(model, options, graphName);
                _cudaWorked = true;
                return session;
            }
            finally
            {
                environment.EnvLogLevel = previous;
            }
        }
    }

    private static InferenceSession CreateCudaSession(byte[] model, OnnxRuntimeOptions options, string graphName)
    {
        using var sessionOptions = BaseOptions(options, graphName);
        sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
        return new InferenceSession(model, sessionOptions);
    }

    private static InferenceSession CreateCpu(byte[] model, OnnxRuntimeOptions options, string graphName, ILogger logger)
    {
        using var sessionOptions = BaseOptions(options, graphName);
        var session = new InferenceSession(model, sessionOptions);
        logger.LogDebug("ONNX graph '{Graph}' runs on the CPU execution provider.", graphName);
        return session;
    }

    private static SessionOptions BaseOptions(OnnxRuntimeOptions options, string graphName)
    {
        var sessionOptions = new SessionOptions
        {
            LogId = graphName,
            GraphOptimizationLevel = options.OptimizationLevel,
            EnableCpuMemArena = options.EnableMemoryArena,
            EnableMemoryPattern = options.EnableMemoryArena,
            // Errors reach the caller as exceptions; ONNX Runtime's warnings (e.g. nodes placed on the CPU next to
            // CUDA, which is expected for shape operators) would only add console noise to every load.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
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
