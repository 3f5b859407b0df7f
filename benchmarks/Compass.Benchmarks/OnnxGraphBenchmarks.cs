using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Compass.Benchmarks.Profiling;
using Compass.Bundles;
using Compass.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Compass.Benchmarks;

/// <summary>
/// Each exported ONNX graph of the embedded default bundle, alone, at the sizes a 3-layer Kodak encode and decode
/// (192x128, 384x256, 768x512) run it, on each execution provider. <c>liff/predict</c> is one run of
/// <see cref="OnnxCompassModel.DefaultLiffPredictChunk"/> target pixels (the pipeline runs as many as the target needs).
/// Inputs are deterministic and created once; outputs are allocated by ONNX Runtime (native memory, not in Allocated).
/// Run: <c>dotnet run -c Release --project benchmarks/Compass.Benchmarks -- --filter *OnnxGraph*</c>.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser, MedianColumn, MinColumn]
public class OnnxGraphBenchmarks
{
    private static readonly Lazy<(ModelBundle Bundle, IReadOnlyList<GraphCase> Cases)> Default = new(() =>
    {
        var bundle = ProviderSupport.DefaultBundle();
        var config = BundleConfig.Parse(bundle.Manifest.Config, bundle.Manifest.Name);
        return (bundle, GraphCase.Kodak(config, OnnxCompassModel.DefaultLiffPredictChunk));
    });

    private InferenceSession? _session;
    private List<OrtValue> _inputs = [];
    private string[] _names = [];
    private RunOptions? _runOptions;

    /// <summary>Where the graph runs.</summary>
    [Params(ExecutionProvider.Cpu, ExecutionProvider.Cuda)]
    public ExecutionProvider Provider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>The graph and its size (see <see cref="Graphs"/>).</summary>
    [ParamsSource(nameof(Graphs))]
    public string Graph { get; set; } = "";

    /// <summary>Every graph case of the default bundle at the Kodak layer sizes.</summary>
    public static IEnumerable<string> Graphs => Default.Value.Cases.Select(c => c.Name);

    /// <summary>Creates the session on the provider (or reports it unavailable) and the inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        ProviderSupport.EnsureAvailable(Provider);
        var c = Default.Value.Cases.Single(c => c.Name == Graph);
        _session = ProviderSupport.Options(Provider).CreateSession(Default.Value.Bundle.GetBytes(c.File).ToArray(), c.File, out _);
        _names = c.Inputs.Select(i => i.Name).ToArray();
        _inputs = c.Inputs.Select(i => i.Floats is not null
            ? OrtValue.CreateTensorValueFromMemory(i.Floats, i.Shape)
            : OrtValue.CreateTensorValueFromMemory(i.Longs!, i.Shape)).ToList();
        _runOptions = new RunOptions();
    }

    /// <summary>Releases the session and inputs.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var v in _inputs) v.Dispose();
        _inputs = [];
        _session?.Dispose();
        _runOptions?.Dispose();
    }

    /// <summary>One run of the graph.</summary>
    [Benchmark]
    public int Run()
    {
        using var outputs = _session!.Run(_runOptions, _names, _inputs, _session.OutputNames);
        return outputs.Count;
    }

    private sealed class Config : ManualConfig
    {
        // Milliseconds to a second per run: a few iterations; in-process so that a session is created once per case.
        public Config()
        {
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7).WithInvocationCount(1).WithUnrollFactor(1));
            SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithMaxParameterColumnWidth(48);
        }
    }
}
