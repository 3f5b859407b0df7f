using Microsoft.ML.OnnxRuntime;

namespace Compass.Onnx;

/// <summary>
/// ONNX Runtime's native library, loaded once per process. Compass.Onnx depends on ONNX Runtime's managed API
/// only (Microsoft.ML.OnnxRuntime.Managed); the native library comes from Compass.Onnx.Cpu or Compass.Onnx.Gpu.
/// Without either, the first ONNX Runtime call fails deep inside ONNX Runtime with a
/// <see cref="TypeInitializationException"/> around a <see cref="DllNotFoundException"/>; this turns that into an
/// <see cref="InvalidOperationException"/> that says which package to add.
/// </summary>
internal static class OnnxRuntimeNatives
{
    /// <summary>ONNX Runtime's name for its CUDA execution provider (see <see cref="OrtEnv.GetAvailableProviders"/>).</summary>
    public const string CudaProviderName = "CUDAExecutionProvider";

    // Lazy caches a failure too: a missing native library stays missing for the life of the process.
    private static readonly Lazy<OrtEnv> LazyEnvironment = new(LoadEnvironment, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<bool> LazyHasCuda = new(
        () => LazyEnvironment.Value.GetAvailableProviders().Contains(CudaProviderName, StringComparer.Ordinal),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The process-wide ONNX Runtime environment (<see cref="OrtEnv.Instance"/>), its native library loaded.</summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing or cannot be loaded.</exception>
    public static OrtEnv Environment => LazyEnvironment.Value;

    /// <summary>
    /// Whether the loaded ONNX Runtime build has the CUDA execution provider (Compass.Onnx.Gpu's build has it,
    /// Compass.Onnx.Cpu's has not). Having it says nothing about whether CUDA can be set up on this machine.
    /// </summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing or cannot be loaded.</exception>
    public static bool HasCudaProvider => LazyHasCuda.Value;

    /// <summary>The message for a process whose ONNX Runtime native library could not be loaded.</summary>
    internal static string MissingMessage(string reason) =>
        $"ONNX Runtime's native library could not be loaded ({reason}). Compass.Onnx carries only ONNX Runtime's managed API: " +
        "add the package Compass.Onnx.Cpu (the CPU build) or Compass.Onnx.Gpu (CUDA 13 on linux-x64 and win-x64, the CPU elsewhere) " +
        "to the application's project, or reference an ONNX Runtime 1.31 native package (Microsoft.ML.OnnxRuntime, Microsoft.ML.OnnxRuntime.Gpu) directly.";

    /// <summary>Whether <paramref name="ex"/> is the runtime's way of saying that a native library did not load.</summary>
    internal static bool IsNativeLoadFailure(Exception ex, out Exception cause)
    {
        cause = ex is TypeInitializationException { InnerException: { } inner } ? inner : ex;
        return cause is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException;
    }

    private static OrtEnv LoadEnvironment()
    {
        try
        {
            return OrtEnv.Instance();
        }
        catch (Exception ex) when (IsNativeLoadFailure(ex, out var cause))
        {
            // The loader's message goes on with advice on strace and LD_DEBUG and every path it probed: its first
            // sentence is the reason.
            var reason = cause.Message.Split('\n', 2)[0].Split(". ", 2)[0].Trim().TrimEnd(':', '.');
            throw new InvalidOperationException(MissingMessage(reason), ex);
        }
    }
}
