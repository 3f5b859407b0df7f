using System.IO.Compression;
using System.Security.Cryptography;

namespace Compass.Bundles;

/// <summary>
/// Writes model bundles (the exporter's side of <see cref="ModelBundle"/>): hashes each file, writes
/// the files and <c>manifest.json</c> into a folder or a zip. Holds no ONNX Runtime types.
/// </summary>
public static class ModelBundleWriter
{
    /// <summary>
    /// Builds the manifest for <paramref name="files"/> (relative '/'-separated path to bytes) with the
    /// given description; the files' hashes are computed here.
    /// </summary>
    public static ModelBundleManifest CreateManifest(
        string name,
        string preset,
        IReadOnlyList<int> qualities,
        IReadOnlyList<double> lambdas,
        IReadOnlyDictionary<string, byte[]> files,
        System.Text.Json.JsonElement? card = null,
        System.Text.Json.JsonElement? config = null)
    {
        return new ModelBundleManifest(name, preset, qualities, lambdas, Hashes(files), card, config);
    }

    /// <summary>
    /// Builds a format-2 (variable-rate) manifest for <paramref name="files"/>: one set of networks at
    /// quantisation step 1, coding every quality between the first and last of <paramref name="rate"/>'s anchors.
    /// </summary>
    /// <param name="name">The bundle's name.</param>
    /// <param name="preset">The architecture preset.</param>
    /// <param name="rate">The rate anchors.</param>
    /// <param name="files">Relative '/'-separated path to bytes; hashed here.</param>
    /// <param name="card">The model card, when any.</param>
    /// <param name="config">The architecture, when any.</param>
    public static ModelBundleManifest CreateManifest(
        string name,
        string preset,
        RateAnchors rate,
        IReadOnlyDictionary<string, byte[]> files,
        System.Text.Json.JsonElement? card = null,
        System.Text.Json.JsonElement? config = null)
    {
        return new ModelBundleManifest(name, preset, rate, Hashes(files), card, config);
    }

    /// <summary>Writes the files and the manifest into <paramref name="folder"/> (created if needed).</summary>
    public static void WriteFolder(string folder, ModelBundleManifest manifest, IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        foreach (var (path, bytes) in Checked(manifest, files))
        {
            var target = Path.Combine(folder, path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, bytes);
        }

        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, ModelBundleManifest.FileName), manifest.ToJsonBytes());
    }

    /// <summary>Writes the files and the manifest as a zip (manifest at the root) to <paramref name="zipStream"/>, left open.</summary>
    public static void WriteZip(Stream zipStream, ModelBundleManifest manifest, IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var archive = new ZipArchive(zipStream, ZipArchiveMode.Create, leaveOpen: true);
        Add(archive, ModelBundleManifest.FileName, manifest.ToJsonBytes());
        foreach (var (path, bytes) in Checked(manifest, files))
        {
            Add(archive, path, bytes);
        }
    }

    /// <summary>
    /// Writes several bundles into one zip, each under its own top folder (<c>q{quality}/</c>), the form
    /// <see cref="ModelBundle.LoadAll(Stream, string)"/> reads as a model set (e.g. a quality ladder).
    /// </summary>
    /// <param name="zipStream">Receives the zip; left open.</param>
    /// <param name="bundles">Loaded (hence verified) single-quality bundles with distinct qualities.</param>
    /// <exception cref="ArgumentException">A bundle has several qualities, or two share one.</exception>
    public static void WriteSet(Stream zipStream, IEnumerable<ModelBundle> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        var byFolder = new SortedDictionary<string, ModelBundle>(StringComparer.Ordinal);
        foreach (var bundle in bundles)
        {
            if (bundle.Manifest.Qualities.Count != 1)
            {
                throw new ArgumentException(bundle.Manifest.Rate is null
                    ? $"Bundle '{bundle.Manifest.Name}' lists {bundle.Manifest.Qualities.Count} qualities; a set holds single-quality bundles."
                    : $"Bundle '{bundle.Manifest.Name}' is a variable-rate (format 2) bundle; it codes every quality itself and goes in no set.", nameof(bundles));
            }

            var folder = "q" + bundle.Manifest.Qualities[0].ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!byFolder.TryAdd(folder, bundle))
            {
                throw new ArgumentException($"Bundles '{byFolder[folder].Manifest.Name}' and '{bundle.Manifest.Name}' both provide quality {bundle.Manifest.Qualities[0]}.", nameof(bundles));
            }
        }

        using var archive = new ZipArchive(zipStream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (folder, bundle) in byFolder)
        {
            Add(archive, folder + "/" + ModelBundleManifest.FileName, bundle.ManifestBytes); // as stored: the identity is its hash
            foreach (var name in bundle.FileNames)
            {
                Add(archive, folder + "/" + name, bundle.GetBytes(name).ToArray());
            }
        }
    }

    private static IEnumerable<KeyValuePair<string, byte[]>> Checked(ModelBundleManifest manifest, IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var (path, hash) in manifest.Files)
        {
            if (!files.TryGetValue(path, out var bytes))
            {
                throw new ArgumentException($"The manifest lists '{path}' but no bytes were given for it.", nameof(files));
            }

            if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != hash)
            {
                throw new ArgumentException($"The bytes given for '{path}' do not match the manifest's hash.", nameof(files));
            }

            yield return new KeyValuePair<string, byte[]>(path, bytes);
        }
    }

    private static void Add(ZipArchive archive, string path, byte[] bytes)
    {
        // A fixed timestamp keeps zips byte-identical across exports of the same files.
        var entry = archive.CreateEntry(path, CompressionLevel.Optimal);
        entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var s = entry.Open();
        s.Write(bytes);
    }

    // Every manifest lists the SHA-256 of each file, after checking its path.
    private static Dictionary<string, string> Hashes(IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var path in files.Keys)
        {
            ModelBundleManifest.ValidatePath(path);
        }

        return files.ToDictionary(f => f.Key, f => Convert.ToHexStringLower(SHA256.HashData(f.Value)), StringComparer.Ordinal);
    }
}
