using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Runtime;

/// <summary>
/// The device a training run computes on: <c>cpu</c>, <c>cuda</c> or <c>auto</c> (CUDA when libtorch finds a
/// CUDA device, else the CPU).
/// </summary>
/// <remarks>
/// TorchSharp loads libtorch's CUDA library only when CUDA is first asked for; where libtorch has no CUDA build
/// (the libtorch-cpu package this assembly references) or no GPU is present, <see cref="CudaAvailable"/> is
/// false and nothing fails. A CUDA run needs a libtorch with CUDA on the loader's path (for example a PyTorch
/// wheel's <c>torch/lib</c> in <c>LD_LIBRARY_PATH</c>; see docs/training.md, "GPU slot").
/// </remarks>
public static class TrainingDevice
{
    /// <summary>The names <see cref="Resolve"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cpu", "cuda", "auto"];

    /// <summary>Whether libtorch can run on a CUDA device in this process.</summary>
    public static bool CudaAvailable
    {
        get
        {
            try
            {
                return cuda.is_available();
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or NotSupportedException or InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>The device that <paramref name="name"/> stands for on this machine.</summary>
    /// <param name="name"><c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (case-insensitive).</param>
    /// <exception cref="ArgumentException">An unknown name, or CUDA asked for where libtorch has none.</exception>
    public static Device Resolve(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return CPU;
        if (n == "auto") return CudaAvailable ? CUDA : CPU;
        if (n == "cuda" || (n.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(n.AsSpan(5), out var index) && index >= 0))
        {
            if (!CudaAvailable)
                throw new ArgumentException(
                    $"Device '{name}': libtorch finds no CUDA device here. A CUDA run needs a GPU and a libtorch built with CUDA " +
                    "on the loader's path (e.g. LD_LIBRARY_PATH=<site-packages>/torch/lib); use --device cpu or auto otherwise.", nameof(name));
            return new Device(n);
        }
        throw new ArgumentException($"Unknown device '{name}': use cpu, cuda, cuda:N or auto.", nameof(name));
    }
}
