using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Compass.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Compass.Training.Cli;

/// <summary>
/// <c>compass-train probe-device</c>: whether TorchSharp runs on the libtorch the loader finds here, whether that
/// libtorch has CUDA, and whether a convolution's forward and backward pass on CUDA agree with the CPU. Made for a
/// GPU machine whose libtorch comes from a PyTorch wheel of another version than TorchSharp was built for: it
/// answers in seconds, before a training run is started there.
/// </summary>
/// <remarks>Exit codes: 0 CUDA works and agrees with the CPU; 3 libtorch works on the CPU but has no CUDA device;
/// 1 libtorch failed to load or a check failed.</remarks>
internal static class ProbeDeviceCommand
{
    /// <summary>Exit code when libtorch runs on the CPU but finds no CUDA device.</summary>
    public const int NoCuda = 3;

    /// <summary>
    /// Largest allowed difference between the CUDA and the CPU result, relative to the CPU result's largest magnitude.
    /// cuDNN may compute float32 convolutions in TF32 (10-bit mantissa, relative rounding about 5e-4 per product) and
    /// sums in another order; a broken binding or kernel is off by far more (wrong layout, garbage, NaN).
    /// </summary>
    public const double Tolerance = 1e-2;

    public static Command Create(TrainCliContext cli)
    {
        var command = new Command("probe-device",
            "Check that libtorch loads, whether it has CUDA, and that a convolution forward/backward on CUDA matches the CPU " +
            $"(relative {Tolerance:0e0}). Exit 0: CUDA works; {NoCuda}: CPU only; 1: failure.");
        command.SetAction(_ => Run(cli));
        return command;
    }

    /// <summary>
    /// Runs the probe. <see cref="Program"/> calls it before anything else touches Compass.Training, whose module
    /// initialiser loads libtorch: a libtorch that does not load is then reported here, with the loader's reason,
    /// instead of ending the process.
    /// </summary>
    internal static int Run(TrainCliContext cli)
    {
        var o = cli.Output;
        o.WriteLine($"torchsharp: {typeof(torch).Assembly.GetName().Version}");
        o.WriteLine($"LD_LIBRARY_PATH: {Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "(unset)"}");
        var clock = Stopwatch.StartNew();
        try
        {
            // Loads libtorch_cpu and TorchSharp's native wrapper (the first native call does).
            using var one = ones(3);
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"libtorch: loaded in {clock.Elapsed.TotalSeconds:F1} s (TorchSharp is built for libtorch {torch.__version__}); ones(3).sum() = {one.sum().item<float>()}; threads {get_num_threads()}"));
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or NotSupportedException or TypeInitializationException or ExternalException or InvalidOperationException)
        {
            var root = ex;
            while (root.InnerException is not null) root = root.InnerException;
            o.WriteLine($"libtorch: FAILED to load: {root.GetType().Name}: {root.Message.Split('\n')[0]}");
            // TorchSharp's message does not say why; the dynamic loader does.
            foreach (var library in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so", Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so") })
            {
                try
                {
                    NativeLibrary.Load(library);
                    o.WriteLine($"  load {library}: ok");
                }
                catch (Exception loadError) when (loadError is DllNotFoundException or BadImageFormatException)
                {
                    o.WriteLine($"  load {library}: {loadError.Message}");
                }
            }
            return ExitCodes.TrainingFailed;
        }
        bool cudaAvailable;
        try
        {
            cudaAvailable = cuda.is_available();
            o.WriteLine(cudaAvailable
                ? $"cuda: available, {cuda.device_count()} device(s), cuDNN {(cuda.is_cudnn_available() ? "available" : "NOT available")}"
                : "cuda: not available (no CUDA device, or the libtorch found here has no CUDA)");
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or NotSupportedException or InvalidOperationException or ExternalException)
        {
            o.WriteLine($"cuda: FAILED to initialise: {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.TrainingFailed;
        }
        if (!cudaAvailable)
        {
            o.WriteLine("probe-device: CPU only");
            return NoCuda;
        }
        try
        {
            var checks = new[]
            {
                Compare("conv2d 5x5/2 3->64 forward+backward", transposed: false),
                Compare("conv_transpose2d 5x5/2 96->64 forward+backward", transposed: true),
            };
            foreach (var (name, error, seconds) in checks)
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: max relative difference cuda vs cpu {error:0.0e0} (tolerance {Tolerance:0e0}; cuda {seconds * 1000:F0} ms) {(error <= Tolerance ? "PASS" : "FAIL")}"));
            bool pass = checks.All(c => c.Error <= Tolerance);
            o.WriteLine($"probe-device: {(pass ? "CUDA PASS" : "CUDA FAIL")}");
            return pass ? ExitCodes.Success : ExitCodes.TrainingFailed;
        }
        catch (Exception ex) when (ex is ExternalException or InvalidOperationException or ArgumentException)
        {
            o.WriteLine($"cuda: FAILED in the convolution check: {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.TrainingFailed;
        }
    }

    /// <summary>
    /// One convolution (as in the codecs' analysis or synthesis transforms), forward and the gradients of a
    /// weighted sum of its output with respect to input and weight, on CUDA and on the CPU; the worst of the
    /// three differences relative to the CPU result's largest magnitude.
    /// </summary>
    private static (string Name, double Error, double CudaSeconds) Compare(string name, bool transposed)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(20261205);
        int cin = transposed ? 96 : 3, cout = 64;
        var x = randn(new long[] { 2, cin, 32, 48 }, generator: g);
        var w = (transposed ? randn(new long[] { cin, cout, 5, 5 }, generator: g) : randn(new long[] { cout, cin, 5, 5 }, generator: g)) / MathF.Sqrt(cin * 25);
        Tensor Conv(Tensor xi, Tensor wi) => transposed
            ? F.conv_transpose2d(xi, wi, null, strides: [2, 2], padding: [2, 2], output_padding: [1, 1])
            : F.conv2d(xi, wi, null, strides: [2, 2], padding: [2, 2]);

        (Tensor Y, Tensor Dx, Tensor Dw) Run(Device device)
        {
            var xd = x.to(device).requires_grad_(true);
            var wd = w.to(device).requires_grad_(true);
            var y = Conv(xd, wd);
            using var weights = linspace(-1, 1, y.numel()).reshape(y.shape).to(device);
            y.mul(weights).sum().backward();
            return (y.detach().cpu(), xd.grad!.cpu(), wd.grad!.cpu());
        }

        var clock = Stopwatch.StartNew();
        var onCuda = Run(CUDA);
        cuda.synchronize();
        double seconds = clock.Elapsed.TotalSeconds;
        var onCpu = Run(CPU);
        static double Relative(Tensor a, Tensor reference)
        {
            double e = (a - reference).abs().max().item<float>() / Math.Max(1e-30, reference.abs().max().item<float>());
            return double.IsFinite(e) ? e : double.PositiveInfinity;
        }
        double error = new[] { Relative(onCuda.Y, onCpu.Y), Relative(onCuda.Dx, onCpu.Dx), Relative(onCuda.Dw, onCpu.Dw) }.Max();
        return (name, error, seconds);
    }
}
