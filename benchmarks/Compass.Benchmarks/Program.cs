using BenchmarkDotNet.Running;

namespace Compass.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project benchmarks/Compass.Benchmarks -- --filter *</c>.</summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected on the command line (or the LIFF peak-memory / interleaved-timing probes, or the CUDA kit's <c>cuda-check</c>).</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "cuda-check")
            return CudaCheck.Run(args[1..]);
        if (args.Length > 0 && args[0] == "ort-suites")
        {
            // Only the ONNX Runtime suites (CPU and CUDA cases): BenchmarkDotNet reads the attributes of every type it
            // is given, and the training suites' would load libtorch, which the CUDA kit leaves out.
            BenchmarkSwitcher.FromTypes([typeof(OnnxGraphBenchmarks), typeof(KodakEndToEndBenchmarks), typeof(UhdEndToEndBenchmarks)]).Run(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "liff-peak-rss")
        {
            LiffPeakMemory.Run(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "liff-compare")
        {
            LiffPeakMemory.Compare(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "profile")
        {
            Profiling.PipelineProfile.Run(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "ort-ops")
        {
            Profiling.OrtOpProfile.Run(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "graph-ab")
        {
            Profiling.BundleComparison.Graphs(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "e2e-ab")
        {
            Profiling.BundleComparison.EndToEnd(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "codec-time")
        {
            Profiling.CodecTiming.Run(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "large-photo")
        {
            LargePhoto.Run(args[1..]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "ab")
        {
            Profiling.OptionsComparison.Run(args[1..]);
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
