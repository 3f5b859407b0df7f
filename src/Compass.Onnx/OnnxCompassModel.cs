using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Compass.Bitstream;
using Compass.Bundles;
using Compass.Pipeline;
using Microsoft.Extensions.Logging;

namespace Compass.Onnx;

/// <summary>
/// COMPASS networks on ONNX Runtime: one verified variable-rate model bundle (manifest format 2: every quality in its
/// range) or one single-rate bundle per quality level, run on CUDA where it
/// is available (with Compass.Onnx.Gpu) and on the CPU otherwise. Pass it to <see cref="ScalableEncoder"/> and <see cref="ScalableDecoder"/>.
/// </summary>
/// <remarks>
/// Every bundle is read and verified at load time. The default quality's graphs get their ONNX Runtime
/// sessions at load time too; the other qualities' sessions are created on their first use (a ladder of
/// four qualities would otherwise cost four times the memory for the one quality most callers use). With
/// <see cref="OnnxRuntimeOptions.CreateSessionsOnFirstUse"/> each graph's session waits for that graph's first run
/// (a decode never creates the analysis sessions). Sessions are reused for every call and released by <see cref="CompassModel.Dispose()"/>. The model is
/// safe to share between threads.
/// </remarks>
public sealed class OnnxCompassModel : CompassModel
{
    /// <summary>
    /// Target pixels per run of the LIFF prediction graph when the caller does not choose (see
    /// <see cref="Create(IEnumerable{ModelBundle}, OnnxRuntimeOptions?, int)"/>): bounds that graph's working memory.
    /// </summary>
    [Experimental(ExperimentalApis.Backend)]
    public const int DefaultLiffPredictChunk = OnnxCompassNetworks.DefaultPredictChunk;

    /// <summary>The manifest resource name of the default model embedded in this assembly (when the build has one).</summary>
    internal const string DefaultResourceName = "Compass.Onnx.Models.default.zip";

    private readonly SortedDictionary<int, Lazy<OnnxCompassNetworks>> _networks;
    private int _disposed;

    private OnnxCompassModel(SortedDictionary<int, Lazy<OnnxCompassNetworks>> networks, IReadOnlyList<ModelBundle> bundles)
    {
        _networks = networks;
        Rate = bundles[0].Manifest.Rate;
        Qualities = [.. networks.Keys];
        Bundles = bundles;
        Identities = bundles.Count == 1 ? [.. Qualities.Select(_ => bundles[0].Identity)] : [.. bundles.Select(b => b.Identity)];
        ActiveProvider = networks[DefaultQuality].Value.Provider;
        Description = Describe(Bundles);
    }

    /// <inheritdoc />
    public override IReadOnlyList<int> Qualities { get; }

    /// <inheritdoc />
    public override string Description { get; }

    /// <inheritdoc />
    public override RateAnchors? Rate { get; }

    /// <summary>Where the networks run: <see cref="ExecutionProvider.Cuda"/> when every graph of the default quality runs on CUDA, else <see cref="ExecutionProvider.Cpu"/> (all qualities are loaded with the same options; with sessions created on first use, known without them only where it is the CPU).</summary>
    public ExecutionProvider ActiveProvider { get; }

    /// <summary>The identity of each quality's bundle (the value recorded in its bitstreams), in <see cref="Qualities"/> order.</summary>
    public IReadOnlyList<ModelIdentity> Identities { get; }

    /// <summary>The loaded bundles (manifest, card, files): one per quality, in <see cref="Qualities"/> order, or the one variable-rate bundle.</summary>
    public IReadOnlyList<ModelBundle> Bundles { get; }

    /// <summary>
    /// Loads a model set from <paramref name="path"/>: a bundle folder, a bundle .zip, or a folder whose
    /// subfolders and .zip files are bundles of different qualities.
    /// </summary>
    /// <param name="path">A bundle folder, a bundle zip (or a zip whose top folders are bundles), or a folder of bundles.</param>
    /// <param name="options">Provider and threads; null for <see cref="OnnxRuntimeOptions.Default"/> (CUDA, else CPU).</param>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="CompassFormatException">A bundle is malformed, corrupted, or two bundles provide the same quality.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing: the application references neither Compass.Onnx.Cpu nor Compass.Onnx.Gpu (nor an ONNX Runtime native package).</exception>
    public static OnnxCompassModel Load(string path, OnnxRuntimeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Create(Timed(() => BundlePaths(path).SelectMany(p => LoadBundles(p, options)).ToList(), options), options);
    }

    /// <summary>Loads a model set from several bundles (folders or zips), one per quality.</summary>
    /// <param name="paths">Bundle folders or zips (a folder of bundles is expanded as in <see cref="Load(string, OnnxRuntimeOptions?)"/>).</param>
    /// <param name="options">Provider and threads; null for the defaults.</param>
    /// <exception cref="CompassFormatException">A bundle is malformed, corrupted, or two bundles provide the same quality.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing: the application references neither Compass.Onnx.Cpu nor Compass.Onnx.Gpu (nor an ONNX Runtime native package).</exception>
    public static OnnxCompassModel Load(IEnumerable<string> paths, OnnxRuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Create(Timed(() => paths.SelectMany(BundlePaths).SelectMany(p => LoadBundles(p, options)).ToList(), options), options);
    }

    /// <summary>Loads the default model embedded in Compass.Onnx (a bundle zip, or a zip whose top folders are bundles).</summary>
    /// <param name="options">Provider and threads; null for the defaults.</param>
    /// <exception cref="InvalidOperationException">This build embeds no default model, or ONNX Runtime's native library is missing (reference Compass.Onnx.Cpu or Compass.Onnx.Gpu).</exception>
    public static OnnxCompassModel LoadDefault(OnnxRuntimeOptions? options = null)
    {
        using var stream = OpenDefault();
        return Create(Timed(() => ModelBundle.LoadAll(stream, "embedded default model", ReadFilesOnFirstUse(options)), options), options);
    }

    /// <summary>
    /// Reads and verifies the bundles of the default model embedded in Compass.Onnx without creating any ONNX Runtime
    /// session (to inspect its manifest and files, or to load it with other options through
    /// <see cref="Create(IEnumerable{ModelBundle}, OnnxRuntimeOptions?, int)"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">This build embeds no default model.</exception>
    public static IReadOnlyList<ModelBundle> LoadDefaultBundles()
    {
        using var stream = OpenDefault();
        return ModelBundle.LoadAll(stream, "embedded default model");
    }

    private static Stream OpenDefault() =>
        typeof(OnnxCompassModel).Assembly.GetManifestResourceStream(DefaultResourceName)
            ?? throw new InvalidOperationException(
                $"No default model is embedded in this build of Compass.Onnx (resource '{DefaultResourceName}'). " +
                "Load an exported bundle with OnnxCompassModel.Load(path) instead.");

    // Reading, inflating and hashing the bundles (those read at load), as a Debug line; the sessions log their own times.
    private static T Timed<T>(Func<T> read, OnnxRuntimeOptions? options)
    {
        long started = Stopwatch.GetTimestamp();
        var result = read();
        (options ?? OnnxRuntimeOptions.Default).Logger.LogDebug("Model bundles read and verified in {Milliseconds:0} ms.", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    /// <summary>Builds a model set from loaded bundles (custom sources, tests and benchmarks).</summary>
    /// <param name="bundles">One variable-rate bundle, or single-rate bundles of different qualities.</param>
    /// <param name="options">Provider and threads; null for the defaults.</param>
    /// <param name="predictChunk">Target pixels per run of the LIFF prediction graph (<see cref="DefaultLiffPredictChunk"/>
    /// unless measuring another); the output does not depend on it.</param>
    /// <exception cref="CompassFormatException">A bundle is not a single-quality COMPASS bundle, or two provide the same quality.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="predictChunk"/> is not positive.</exception>
    [Experimental(ExperimentalApis.Backend)]
    public static OnnxCompassModel Create(IEnumerable<ModelBundle> bundles, OnnxRuntimeOptions? options = null, int predictChunk = DefaultLiffPredictChunk)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(predictChunk);
        var byQuality = new SortedDictionary<int, ModelBundle>();
        var all = bundles.ToList();
        if (all.FirstOrDefault(b => b.Manifest.Rate is not null) is { } variableRate)
            return CreateVariableRate(variableRate, all, options, predictChunk);
        foreach (var bundle in all)
        {
            var manifest = bundle.Manifest;
            if (manifest.Qualities.Count != 1)
                throw new CompassFormatException($"Model bundle '{manifest.Name}' lists qualities [{string.Join(", ", manifest.Qualities)}]; a COMPASS bundle holds the networks of exactly one quality.");
            int quality = manifest.Qualities[0];
            if (!Quality.IsValid(quality))
                throw new CompassFormatException($"Model bundle '{manifest.Name}': {Quality.RangeMessage(quality)}");
            if (byQuality.TryGetValue(quality, out var other))
                throw new CompassFormatException($"Model bundles '{other.Manifest.Name}' and '{manifest.Name}' both provide quality {quality}.");
            byQuality[quality] = bundle;
        }
        if (byQuality.Count == 0)
            throw new CompassFormatException("No model bundle was found.");

        var networks = new SortedDictionary<int, Lazy<OnnxCompassNetworks>>();
        foreach (var (quality, bundle) in byQuality)
            networks[quality] = new Lazy<OnnxCompassNetworks>(() => OnnxCompassNetworks.Create(bundle, options, predictChunk), LazyThreadSafetyMode.ExecutionAndPublication);
        return new OnnxCompassModel(networks, [.. byQuality.Values]); // creates the default quality's sessions
    }

    // One network set for every quality of the range; Qualities names the whole numbers inside it.
    private static OnnxCompassModel CreateVariableRate(ModelBundle bundle, List<ModelBundle> all, OnnxRuntimeOptions? options, int predictChunk)
    {
        var manifest = bundle.Manifest;
        if (all.Count != 1)
            throw new CompassFormatException($"Model bundle '{manifest.Name}' is variable-rate (format 2) and codes every quality itself; load it alone, not in a set of {all.Count} bundles.");
        var rate = manifest.Rate!;
        int first = (int)Math.Ceiling(rate.QualityMin), last = (int)Math.Floor(rate.QualityMax);
        if (first > last)
            throw new CompassFormatException(string.Create(CultureInfo.InvariantCulture, $"Model bundle '{manifest.Name}': the quality range {rate.QualityMin}..{rate.QualityMax} holds no whole-number quality; a variable-rate bundle's range must include one (its default)."));
        var shared = new Lazy<OnnxCompassNetworks>(() => OnnxCompassNetworks.Create(bundle, options, predictChunk), LazyThreadSafetyMode.ExecutionAndPublication);
        var networks = new SortedDictionary<int, Lazy<OnnxCompassNetworks>>();
        for (int q = first; q <= last; q++) networks[q] = shared;
        return new OnnxCompassModel(networks, [bundle]);
    }

    /// <inheritdoc />
    public override ICompassNetworks GetNetworks(int quality)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _networks.TryGetValue(quality, out var n)
            ? n.Value
            : throw new ArgumentOutOfRangeException(nameof(quality), quality, $"This model set provides qualities {string.Join(", ", Qualities)}.");
    }

    /// <summary>Whether <paramref name="quality"/>'s ONNX Runtime sessions exist yet (they are created on first use).</summary>
    internal bool HasSessions(int quality) => _networks.TryGetValue(quality, out var n) && n.IsValueCreated;

    /// <summary>Whether the session of one graph (<paramref name="file"/>, e.g. "bl/synthesis.onnx") of <paramref name="quality"/> exists yet.</summary>
    internal bool HasSession(int quality, string file) => HasSessions(quality) && _networks[quality].Value.HasSession(file);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            foreach (var n in _networks.Values.Distinct().Where(n => n.IsValueCreated)) n.Value.Dispose();
        }
        base.Dispose(disposing);
    }

    // A folder is one bundle; a zip is one bundle or, when its top folders hold the manifests, several.
    private static IReadOnlyList<ModelBundle> LoadBundles(string path, OnnxRuntimeOptions? options)
    {
        if (Directory.Exists(path)) return [ModelBundle.Load(path, ReadFilesOnFirstUse(options))];
        using var stream = File.OpenRead(path);
        return ModelBundle.LoadAll(stream, path, ReadFilesOnFirstUse(options));
    }

    // Sessions on first use read (inflate, hash) each bundle file on first use too: a decode never reads the analysis graphs.
    private static bool ReadFilesOnFirstUse(OnnxRuntimeOptions? options) => options?.CreateSessionsOnFirstUse == true;

    // A bundle folder or zip is itself; any other folder contributes its bundle subfolders and zips.
    private static IEnumerable<string> BundlePaths(string path)
    {
        if (File.Exists(path)) return [path];
        if (!Directory.Exists(path)) throw new FileNotFoundException($"No model bundle folder or zip file at '{path}'.", path);
        if (File.Exists(Path.Combine(path, ModelBundleManifest.FileName))) return [path];
        var found = Directory.EnumerateDirectories(path).Where(d => File.Exists(Path.Combine(d, ModelBundleManifest.FileName)))
            .Concat(Directory.EnumerateFiles(path, "*.zip"))
            .Order(StringComparer.Ordinal)
            .ToList();
        return found.Count > 0
            ? found
            : throw new CompassFormatException($"'{path}' is neither a model bundle (no {ModelBundleManifest.FileName}) nor a folder of bundles.");
    }

    private static string Describe(IReadOnlyList<ModelBundle> bundles)
    {
        var first = bundles[0].Manifest;
        var text = new StringBuilder();
        text.Append(bundles.Count == 1 ? first.Name : string.Join(", ", bundles.Select(b => b.Manifest.Name)));
        if (first.Rate is { } rate)
            text.Append(CultureInfo.InvariantCulture, $" (preset {first.Preset}, variable rate, qualities {rate.QualityMin} to {rate.QualityMax}");
        else
            text.Append(CultureInfo.InvariantCulture, $" (preset {first.Preset}, qualities {string.Join(", ", bundles.Select(b => b.Manifest.Qualities[0]))}");
        if (first.Card is { ValueKind: JsonValueKind.Object } card)
        {
            foreach (var key in new[] { "steps", "data", "wallTime", "kodak" })
            {
                if (card.TryGetProperty(key, out var value) && value.ValueKind is JsonValueKind.Number or JsonValueKind.String)
                    text.Append(CultureInfo.InvariantCulture, $"; {key} {value}");
            }
        }
        return text.Append(')').ToString();
    }
}
