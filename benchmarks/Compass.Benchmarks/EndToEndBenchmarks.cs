using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Compass.ImageSharp;
using Compass.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Benchmarks;

/// <summary>
/// Encode and decode end to end with the embedded default model on each execution provider: the whole
/// 3-layer stream, and the base layer alone (<c>DecodeBaseLayer</c>: how long a client waits for the first image).
/// Per-layer times of every measured iteration (<see cref="DecodedLayer.Elapsed"/>, <see cref="EncodedLayer.Elapsed"/>)
/// are printed as <c>// LAYERS</c> lines (medians) when a case ends. The model is loaded (sessions created) once per case,
/// outside the measurement. Allocated counts managed memory only; ONNX Runtime's buffers are native.
/// </summary>
[MemoryDiagnoser, MedianColumn, MinColumn]
public abstract class EndToEndBenchmarks
{
    private readonly Dictionary<string, List<double>> _layerTimes = new(StringComparer.Ordinal);
    private OnnxCompassModel? _model;
    private Image<Rgb24>? _image;
    private LayerPlan _plan;
    private byte[] _stream = [];
    private ScalableEncoder? _encoder;
    private ScalableDecoder? _decoder;

    /// <summary>Where the networks run.</summary>
    [Params(ExecutionProvider.Cpu, ExecutionProvider.Cuda)]
    public ExecutionProvider Provider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>A short name of the image for the log lines.</summary>
    protected abstract string ImageName { get; }

    /// <summary>The plan coded (three layers, the last one the image's own size).</summary>
    protected abstract string Plan { get; }

    /// <summary>Checks that the machine has the memory the case needs (prints why and throws, which BenchmarkDotNet reports as NA).</summary>
    protected virtual void EnsureEnoughMemory() { }

    /// <summary>Creates the image to code.</summary>
    protected abstract Image<Rgb24> CreateImage();

    /// <summary>Loads the model on the provider (or reports it unavailable), the image and one encoded stream.</summary>
    [GlobalSetup]
    public void Setup()
    {
        ProviderSupport.EnsureAvailable(Provider);
        EnsureEnoughMemory();
        _model = OnnxCompassModel.LoadDefault(ProviderSupport.Options(Provider));
        _image = CreateImage();
        _plan = LayerPlan.Parse(Plan);
        _encoder = new ScalableEncoder(_model);
        _decoder = new ScalableDecoder(_model);
        _stream = _encoder.Encode(_image, _plan);
        _layerTimes.Clear();
    }

    /// <summary>Prints the per-layer medians and releases the model.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (key, values) in _layerTimes.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var sorted = values.Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"// LAYERS {ImageName} {Provider} {key}: median {sorted[sorted.Length / 2]:F1} ms (n={sorted.Length} runs including warm-ups, min {sorted[0]:F1})"));
        }
        _model?.Dispose();
        _image?.Dispose();
    }

    /// <summary>Encodes every layer of the plan.</summary>
    [Benchmark]
    public long Encode()
    {
        using var output = new MemoryStream();
        var result = _encoder!.Encode(_image!, _plan, output);
        foreach (var layer in result.Layers) Record($"encode layer {layer.Index} {layer.Size}", layer.Elapsed);
        return output.Length;
    }

    /// <summary>Decodes every layer of the stream.</summary>
    [Benchmark]
    public int Decode()
    {
        using var result = _decoder!.Decode(_stream);
        foreach (var layer in result.Layers) Record($"decode layer {layer.Index} {layer.Size}", layer.Elapsed);
        return result.Layers.Count;
    }

    /// <summary>Decodes the base layer only (header, layer 0).</summary>
    [Benchmark]
    public int DecodeBaseLayer()
    {
        using var result = _decoder!.Decode(_stream, new DecodeOptions { MaxLayers = 1 });
        return result.Layers.Count;
    }

    private void Record(string key, TimeSpan elapsed)
    {
        if (!_layerTimes.TryGetValue(key, out var list)) _layerTimes[key] = list = [];
        list.Add(elapsed.TotalMilliseconds);
    }
}

/// <summary>
/// <see cref="EndToEndBenchmarks"/> on a Kodak image (kodim01.png from the shared data, else the sample's kodim23.png),
/// plan 192x128, 384x256, 768x512. Run: <c>dotnet run -c Release --project benchmarks/Compass.Benchmarks -- --filter *KodakEndToEnd*</c>.
/// </summary>
[Config(typeof(Config))]
public class KodakEndToEndBenchmarks : EndToEndBenchmarks
{
    /// <inheritdoc />
    protected override string ImageName => "kodak";

    /// <inheritdoc />
    protected override string Plan => BenchmarkImages.KodakPlan;

    /// <inheritdoc />
    protected override Image<Rgb24> CreateImage() => BenchmarkImages.LoadKodak();

    private sealed class Config : ManualConfig
    {
        // Seconds per operation: in-process (sessions created once per case), 2 warm-ups, 7 measured runs.
        public Config() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7).WithInvocationCount(1).WithUnrollFactor(1));
    }
}

/// <summary>
/// <see cref="EndToEndBenchmarks"/> on a 3840x2160 image (the Kodak image upscaled 5x and cropped), plan 960x540,
/// 1920x1080, 3840x2160. Tens of seconds per operation on a 2-core CPU: no warm-up and two measured runs (the first includes
/// ONNX Runtime's first-run allocations at these sizes).
/// Run: <c>dotnet run -c Release --project benchmarks/Compass.Benchmarks -- --filter *UhdEndToEnd*</c>.
/// </summary>
[Config(typeof(Config))]
public class UhdEndToEndBenchmarks : EndToEndBenchmarks
{
    /// <inheritdoc />
    protected override string ImageName => "uhd";

    /// <inheritdoc />
    protected override string Plan => BenchmarkImages.UhdPlan;

    /// <inheritdoc />
    protected override Image<Rgb24> CreateImage() => BenchmarkImages.CreateUhd();

    /// <summary>
    /// Room the cases need. Before tiling a 3840x2160 encode was killed by the OOM killer at 17.3 GB resident; tiled, the
    /// CLI's encode of this plan peaks at 3.1 GB (its analysis graph is still untiled) and the decode at 1.3 GB
    /// (/usr/bin/time -v, 2026-11-25); 6 GiB leaves room for BenchmarkDotNet's process. Set COMPASS_BENCH_UHD_FORCE=1 to run regardless.
    /// </summary>
    private const double RequiredGiB = 6;

    /// <inheritdoc />
    protected override void EnsureEnoughMemory()
    {
        if (Environment.GetEnvironmentVariable("COMPASS_BENCH_UHD_FORCE") == "1") return;
        double available = AvailableGiB();
        if (available >= RequiredGiB) return;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"UHD unavailable: the 3840x2160 encode needs about {RequiredGiB} GiB, this machine has {available:F1} GiB available (set COMPASS_BENCH_UHD_FORCE=1 to run anyway)");
        Console.WriteLine("// " + line);
        throw new NotSupportedException(line);
    }

    private static double AvailableGiB()
    {
        const string MemInfo = "/proc/meminfo";
        if (File.Exists(MemInfo))
        {
            var line = File.ReadLines(MemInfo).FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture, out long kb))
                return kb / (1024.0 * 1024.0);
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024.0 * 1024.0);
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1).WithWarmupCount(0).WithIterationCount(2).WithInvocationCount(1).WithUnrollFactor(1));
    }
}
