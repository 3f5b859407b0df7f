using System.Globalization;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Compass.Training.Runtime;

/// <summary>
/// Chooses which libtorch CPU kernels compute convolutions, once per process, before any training or
/// export code of this assembly runs, and checks them on this host.
/// </summary>
/// <remarks>
/// <para>Why: libtorch 2.10 (TorchSharp 0.107) sends float convolutions to oneDNN 3.7.1, which runs JIT
/// kernels for the best instruction set of the host. On hosts where they are wrong (measured on an AMD
/// EPYC Zen 5 host with AVX-512), its direct kernels miscompute convolutions whose channel counts are not
/// a multiple of the kernel's channel block (8 for AVX/AVX2, 16 for AVX-512), most visibly the
/// <em>deconvolution forward</em> (a convolution's backward-data pass): a 3x3 stride-1 transposed
/// convolution 4 -&gt; 3 channels (<c>conv:any+jit:avx512_core</c>, <c>jit:avx2</c>) is off by up to 88%
/// of its output range or infinite, the compact preset's second hyper-synthesis layer (5x5 stride-2,
/// 96 -&gt; 144, <c>brg_deconv:avx512_core+brgconv_strided</c>) by 12-15%, and under
/// <c>DNNL_MAX_CPU_ISA=AVX</c> the <c>jit:avx</c> forward of 12 -&gt; 8 and 18 -&gt; 24 channels by a third
/// or NaN. Training then sees wrong scales and reconstructions, zero gradients and NaN losses. oneDNN's
/// SSE4.1 level and its GEMM-based paths, and ATen's own kernels, are right (docs/cpu-support.md).</para>
/// <para>What: ATen's own kernels are the default, so training and export give correct numbers on every
/// x86-64 host without an environment variable. <see cref="EnvironmentVariable"/><c>=onednn</c> keeps
/// libtorch's default for speed where <see cref="SelfTest"/> (or <c>compass-train check-cpu</c>) passes;
/// the known-bad cases are then checked at once and the result is in <see cref="Describe"/>.</para>
/// </remarks>
public static class TorchCpu
{
    /// <summary>The environment variable that selects the kernels at start-up: <c>aten</c> (default) or
    /// <c>onednn</c> (see <see cref="ConvolutionKernels"/>).</summary>
    public const string EnvironmentVariable = "COMPASS_CONV_KERNELS";

    /// <summary>oneDNN's own variable for the highest instruction set its kernels may use.</summary>
    public const string OneDnnIsaVariable = "DNNL_MAX_CPU_ISA";

    private static readonly Lock Gate = new();
    private static bool _configured;
    private static ConvolutionKernels _kernels;
    private static string _description = "";

    /// <summary>The kernels in use (chosen on first use of this assembly).</summary>
    /// <exception cref="ArgumentException"><see cref="EnvironmentVariable"/> has a value that names no choice.</exception>
    public static ConvolutionKernels Kernels
    {
        get
        {
            EnsureConfigured();
            return _kernels;
        }
    }

    /// <summary>One line for logs: the kernels in use, and why.</summary>
    /// <exception cref="ArgumentException"><see cref="EnvironmentVariable"/> has a value that names no choice.</exception>
    public static string Describe()
    {
        EnsureConfigured();
        return _description;
    }

    /// <summary>Parses a value of <see cref="EnvironmentVariable"/>; null or empty means the default.</summary>
    /// <exception cref="ArgumentException">A value other than <c>aten</c> or <c>onednn</c>.</exception>
    public static ConvolutionKernels Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "aten" => ConvolutionKernels.ATen,
        "onednn" => ConvolutionKernels.OneDnn,
        _ => throw new ArgumentException($"{EnvironmentVariable}='{value}' names no kernels: use aten (the default) or onednn.", nameof(value)),
    };

    /// <summary>
    /// Checks the kernels in use against float64 (which never reaches oneDNN): the transposed
    /// convolutions known to be wrong under oneDNN's AVX2/AVX-512 kernels, then one training step
    /// (forward and backward) of a small and of the compact mean-scale codec.
    /// </summary>
    /// <returns>The worst error relative to the reference's largest magnitude, per case.</returns>
    public static IReadOnlyList<KernelCheck> SelfTest()
    {
        EnsureConfigured();
        var results = new List<KernelCheck>(KnownDefects());
        results.AddRange(TrainingStepCheck.Run("training step 8/12 2x37x29", 8, 12, 2, 37, 29, seed: 3));
        results.AddRange(TrainingStepCheck.Run("training step 64/96 2x64x64", 64, 96, 2, 64, 64, seed: 4));
        return results;
    }

    /// <summary>The cases oneDNN's AVX2/AVX-512 deconvolution gets wrong, against float64 (milliseconds).</summary>
    private static List<KernelCheck> KnownDefects()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(20261205);
        return
        [
            Check("deconv3x3/1 4->3 4x16x24", g, 4, 4, 3, 3, 1, 16, 24),
            Check("deconv5x5/2 96->144 1x8x12", g, 1, 96, 144, 5, 2, 8, 12),
        ];
    }

    private static KernelCheck Check(string name, Generator g, int n, int cin, int cout, int k, int s, int h, int w)
    {
        var x = randn(n, cin, h, w, generator: g);
        var weight = randn(cin, cout, k, k, generator: g) / MathF.Sqrt(cin * k * k);
        Tensor Run(Tensor xi, Tensor wi) =>
            F.conv_transpose2d(xi, wi, null, strides: [s, s], padding: [k / 2, k / 2], output_padding: [s - 1, s - 1]);
        var y = Run(x, weight).to(float64);
        var reference = Run(x.to(float64), weight.to(float64));
        double error = (y - reference).abs().max().item<double>() / reference.abs().max().item<double>();
        return new KernelCheck(name, double.IsFinite(error) ? error : double.PositiveInfinity);
    }

    /// <summary>Applies the choice of <see cref="EnvironmentVariable"/> once per process.</summary>
    internal static void EnsureConfigured()
    {
        if (Volatile.Read(ref _configured)) return;
        lock (Gate)
        {
            if (_configured) return;
            var wanted = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable)); // a bad value throws every time
            try
            {
                Configure(wanted);
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                _kernels = ConvolutionKernels.OneDnn;
                _description = $"libtorch's default convolution kernels: this libtorch does not export the switch ({ex.Message})";
            }
            Volatile.Write(ref _configured, true);
        }
    }

    private static void Configure(ConvolutionKernels wanted)
    {
        _ = torch.get_num_threads(); // TorchSharp loads libtorch on its first call; the switch lives there
        LibTorchContext.OneDnnEnabled = wanted == ConvolutionKernels.OneDnn;
        // NNPACK off too, so every host runs the one set of kernels that check-cpu verifies; and where NNPACK
        // cannot initialise (AMD Zen 5, for one) ATen would otherwise warn on every convolution it tries.
        LibTorchContext.NnpackEnabled = false;
        _kernels = wanted;
        if (wanted == ConvolutionKernels.ATen)
        {
            _description = "ATen convolution kernels (oneDNN off: its AVX/AVX2/AVX-512 kernels are wrong on some hosts; docs/cpu-support.md)";
            return;
        }

        var isa = Environment.GetEnvironmentVariable(OneDnnIsaVariable);
        var level = isa is null ? "the host's best instruction set" : $"{OneDnnIsaVariable}={isa}";
        var failed = KnownDefects().FirstOrDefault(c => !c.Passed);
        _description = failed is null
            ? $"oneDNN convolution kernels at {level} ({EnvironmentVariable}=onednn; the known defects are absent, run 'compass-train check-cpu' for the full check)"
            : $"oneDNN convolution kernels at {level} ({EnvironmentVariable}=onednn), although they are WRONG on this host: {failed}";
    }

#pragma warning disable CA2255 // A module initializer in a library: the choice must be made before this assembly's first convolution.
    [ModuleInitializer]
    internal static void ConfigureOnLoad()
    {
        try
        {
            EnsureConfigured();
        }
        catch (ArgumentException)
        {
            // A bad COMPASS_CONV_KERNELS value: Kernels and Describe() throw it where it can be reported.
        }
    }
#pragma warning restore CA2255
}

/// <summary>One case of <see cref="TorchCpu.SelfTest"/>.</summary>
/// <param name="Name">The operation and its shape.</param>
/// <param name="RelativeError">Largest absolute error over the reference's largest magnitude.</param>
public sealed record KernelCheck(string Name, double RelativeError)
{
    /// <summary>
    /// The bound: float32 against float64 for these sizes stays under 1e-6 relative on every host measured;
    /// the oneDNN defect gives 0.1 to 0.9. 1e-4 separates the two by two orders of magnitude each way.
    /// </summary>
    public const double Tolerance = 1e-4;

    /// <summary>True when the error is within <see cref="Tolerance"/>.</summary>
    public bool Passed => RelativeError <= Tolerance;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}: relative error {RelativeError:0.0e0} ({(Passed ? "ok" : "WRONG")})");
}
