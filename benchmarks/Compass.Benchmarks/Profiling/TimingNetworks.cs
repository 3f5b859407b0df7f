using System.Collections.Concurrent;
using System.Diagnostics;
using Compass.Imaging;
using Compass.Pipeline;

namespace Compass.Benchmarks.Profiling;

/// <summary>Wraps networks and records the wall time of every call, keyed by stage, codec and size.</summary>
internal sealed class TimingNetworks(ICompassNetworks inner) : ICompassNetworks
{
    public ConcurrentDictionary<string, List<double>> Times { get; } = new(StringComparer.Ordinal);

    public Bitstream.ModelIdentity ModelId => inner.ModelId;

    public byte EntropyPath => inner.EntropyPath;

    public CodecTables GetTables(CodecRole role) => inner.GetTables(role);

    public (LatentTensor Y, LatentTensor Z) Analyze(CodecRole role, PlanarImage image) =>
        Time($"{role} analysis {image.Width}x{image.Height}", () => inner.Analyze(role, image));

    public (LatentTensor Scales, LatentTensor Means) HyperSynthesize(CodecRole role, LatentTensor zHat, int yHeight, int yWidth) =>
        Time($"{role} hyper_synthesis y {yWidth}x{yHeight}", () => inner.HyperSynthesize(role, zHat, yHeight, yWidth));

    public PlanarImage Synthesize(CodecRole role, LatentTensor yHat, int width, int height) =>
        Time($"{role} synthesis {width}x{height}", () => inner.Synthesize(role, yHat, width, height));

    public int LiffRadius => inner.LiffRadius;

    public void ReleaseScratch() => inner.ReleaseScratch();

    public PlanarImage Predict(PlanarImage source, LiffWindow window, CancellationToken cancellationToken) =>
        Time($"liff {source.Width}x{source.Height}->{window.TargetWidth}x{window.TargetHeight}", () => inner.Predict(source, window, cancellationToken));

    private T Time<T>(string key, Func<T> run)
    {
        var watch = Stopwatch.StartNew();
        var result = run();
        Times.GetOrAdd(key, _ => []).Add(watch.Elapsed.TotalMilliseconds);
        return result;
    }
}

/// <summary>A model whose networks are a <see cref="TimingNetworks"/> around another model's.</summary>
internal sealed class TimingModel(CompassModel inner) : CompassModel
{
    private readonly TimingNetworks _networks = new(inner.GetNetworks(inner.DefaultQuality));

    public TimingNetworks Networks => _networks;

    public override IReadOnlyList<int> Qualities => inner.Qualities;

    public override string Description => inner.Description;

    public override ICompassNetworks GetNetworks(int quality) => _networks;
}
