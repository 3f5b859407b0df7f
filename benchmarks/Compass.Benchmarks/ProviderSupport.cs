using Compass.Bundles;
using Compass.Onnx;

namespace Compass.Benchmarks;

/// <summary>
/// Whether an execution provider can run here. A CUDA case on a machine without a usable CUDA device prints
/// <c>CUDA unavailable: &lt;reason&gt;</c> and fails its GlobalSetup, which BenchmarkDotNet reports as NA:
/// no numbers are made up for a provider that did not run.
/// </summary>
internal static class ProviderSupport
{
    private static readonly Lazy<string?> CudaProblem = new(ProbeCuda);

    /// <summary>The session options of a benchmark on <paramref name="provider"/> (Cuda never falls back to the CPU).</summary>
    public static OnnxRuntimeOptions Options(ExecutionProvider provider) => new() { Provider = provider };

    /// <summary>Throws (after printing why) when <paramref name="provider"/> cannot run on this machine.</summary>
    public static void EnsureAvailable(ExecutionProvider provider)
    {
        if (provider != ExecutionProvider.Cuda || CudaProblem.Value is null) return;
        var line = $"CUDA unavailable: {CudaProblem.Value}";
        Console.WriteLine("// " + line);
        throw new NotSupportedException(line);
    }

    /// <summary>The embedded default model's bundle (manifest and files; no sessions).</summary>
    public static ModelBundle DefaultBundle()
    {
        return OnnxCompassModel.LoadDefaultBundles()[0];
    }

    private static string? ProbeCuda()
    {
        try
        {
            // The smallest graph of the default bundle; ExecutionProvider.Cuda throws instead of falling back.
            using var session = Options(ExecutionProvider.Cuda).CreateSession(DefaultBundle().GetBytes(BundleFiles.LiffPredict).ToArray(), "cuda-probe", out _);
            return null;
        }
        catch (Exception ex) when (ex is NotSupportedException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            var message = ex.InnerException?.Message ?? ex.Message;
            return message.Split('\n')[0].Trim();
        }
    }
}
