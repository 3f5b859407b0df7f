using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Compass.Pipeline;
using Compass.Training.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Benchmarks;

/// <summary>
/// One LIFF training step (forward + backward of sum(P * w)) at the paper preset: the low-resolution
/// form used for training and inference against the naive form (the official computation).
/// Run: <c>OMP_WAIT_POLICY=PASSIVE dotnet run -c Release --project benchmarks/Compass.Benchmarks -- --filter *LiffBenchmarks*</c>.
/// Native peak memory is measured separately (<see cref="LiffPeakMemory"/>): BenchmarkDotNet's memory
/// diagnoser sees only managed allocations.
/// </summary>
[Config(typeof(LiffBenchmarkConfig))]
[MedianColumn]
public class LiffBenchmarks
{
    private Liff _module = null!;
    private Tensor _input = null!;
    private Tensor _weight = null!;
    private LiffGrid _grid = null!;

    /// <summary>Source size -> target size (batch 1): 1.5x, 2x and 3x upscales of a 64 x 64 layer.</summary>
    [Params("64x64->96x96", "64x64->128x128", "64x64->192x192")]
    public string Scenario { get; set; } = "64x64->128x128";

    /// <summary>Builds the module (seeded default init) and the inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var (h, w, height, width) = LiffPeakMemory.ParseScenario(Scenario);
        random.manual_seed(1);
        _module = new Liff(LiffConfig.Paper);
        _input = rand(1, 3, h, w);
        _weight = randn(1, 3, height, width);
        _grid = LiffGrid.Create(h, w, height, width);
    }

    /// <summary>Disposes the module and inputs.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _module.Dispose();
        _input.Dispose();
        _weight.Dispose();
    }

    /// <summary>Naive form: 580-vector and 1728-filter per target pixel, plain autograd.</summary>
    [Benchmark(Baseline = true)]
    public float Naive() => LiffPeakMemory.TrainingStep(_module, _input, _weight, _grid, "naive");

    /// <summary>Low-resolution form: per-source-pixel first/last layers, chunked recomputing node.</summary>
    [Benchmark]
    public float LowRes() => LiffPeakMemory.TrainingStep(_module, _input, _weight, _grid, "lowres");

    private sealed class LiffBenchmarkConfig : ManualConfig
    {
        public LiffBenchmarkConfig()
        {
            // Seconds per operation: few iterations; in-process because the work is native (libtorch).
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(7).WithInvocationCount(1).WithUnrollFactor(1));
        }
    }
}
