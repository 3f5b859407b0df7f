using System.IO.Compression;
using System.Security.Cryptography;
using Compass.Bitstream;

namespace Compass.Bundles;

/// <summary>
/// A verified set of exported networks and tables: a folder, a .zip of that folder, or a zip stream
/// (e.g. an embedded resource), described by <c>manifest.json</c> (see <see cref="ModelBundleManifest"/>).
/// Loading reads every listed file into memory and checks its SHA-256 before anything uses it: all of them at
/// load by default, or each on its first use (<c>readFilesOnFirstUse</c>: a decoder never inflates the encoder's graphs).
/// </summary>
/// <remarks>
/// <see cref="Identity"/> is the SHA-256 of the manifest bytes exactly as stored. The manifest pins
/// every file's hash, so the identity pins the whole bundle; a bitstream records it so a decoder can
/// refuse streams written with another bundle. Files not listed in the manifest are ignored.
/// </remarks>
public sealed class ModelBundle
{
    // One file is held in one array; real networks are a few MB to a few hundred MB.
    private const long MaxFileBytes = 1L << 30;

    // Each file is read, inflated and hash-checked once, on its first use or at load; a failure is kept and rethrown.
    private readonly Dictionary<string, Lazy<byte[]>> _files;

    private ModelBundle(ModelBundleManifest manifest, byte[] manifestBytes, Dictionary<string, Lazy<byte[]>> files)
    {
        Manifest = manifest;
        ManifestBytes = manifestBytes;
        Identity = ModelIdentity.Compute(manifestBytes);
        _files = files;
    }

    /// <summary>The manifest exactly as stored (its hash is <see cref="Identity"/>), for copying the bundle unchanged.</summary>
    internal byte[] ManifestBytes { get; }

    /// <summary>The parsed manifest.</summary>
    public ModelBundleManifest Manifest { get; }

    /// <summary>SHA-256 of the stored manifest bytes: the bundle's identity, recorded in every bitstream it writes.</summary>
    public ModelIdentity Identity { get; }

    /// <summary>The identity as lower-case hex.</summary>
    public string IdentityHex => Identity.ToString();

    /// <summary>The relative paths of the bundle's files (as listed in the manifest).</summary>
    public IEnumerable<string> FileNames => Manifest.Files.Keys;

    /// <summary>Whether the bundle lists <paramref name="name"/>.</summary>
    public bool Contains(string name) => _files.ContainsKey(name);

    /// <summary>The verified bytes of a file.</summary>
    /// <exception cref="KeyNotFoundException">The manifest does not list <paramref name="name"/>.</exception>
    /// <exception cref="CompassFormatException">Loaded with <c>readFilesOnFirstUse</c>: the file is missing, too large or fails its hash.</exception>
    public ReadOnlyMemory<byte> GetBytes(string name) => GetArray(name);

    /// <summary>A read-only stream over the verified bytes of a file.</summary>
    /// <exception cref="KeyNotFoundException">The manifest does not list <paramref name="name"/>.</exception>
    /// <exception cref="CompassFormatException">Loaded with <c>readFilesOnFirstUse</c>: the file is missing, too large or fails its hash.</exception>
    public Stream OpenRead(string name) => new MemoryStream(GetArray(name), writable: false);

    /// <summary>The backing array, for ONNX Runtime which takes byte[]; callers must not modify it.</summary>
    internal byte[] GetArray(string name) =>
        _files.TryGetValue(name, out var bytes)
            ? bytes.Value
            : throw new KeyNotFoundException($"Model bundle '{Manifest.Name}' has no file '{name}' (files: {string.Join(", ", _files.Keys)}).");

    /// <summary>Loads a bundle from a folder or from a .zip file.</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="CompassFormatException">The manifest or a file is missing, malformed or fails its hash.</exception>
    public static ModelBundle Load(string path) => Load(path, readFilesOnFirstUse: false);

    /// <summary>Loads a bundle from a folder or from a .zip file, reading its files at load or on their first use.</summary>
    /// <param name="path">A bundle folder or zip.</param>
    /// <param name="readFilesOnFirstUse">
    /// False: read and check every file now. True: read and check the manifest now, and each file when it is first asked
    /// for (<see cref="GetBytes"/>); a file that is missing or fails its hash then fails that call. A zip is kept in memory
    /// (compressed) for the bundle's life, a folder's files are read when used.
    /// </param>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="CompassFormatException">The manifest or a file is missing, malformed or fails its hash.</exception>
    public static ModelBundle Load(string path, bool readFilesOnFirstUse)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            return LoadFolder(path, readFilesOnFirstUse);
        }

        if (File.Exists(path))
        {
            using var stream = File.OpenRead(path);
            return Load(stream, path, readFilesOnFirstUse);
        }

        throw new FileNotFoundException($"No model bundle folder or zip file at '{path}'.", path);
    }

    /// <summary>Loads a bundle from a zip stream (for example an embedded resource). The stream is not closed.</summary>
    /// <exception cref="CompassFormatException">Not a zip, or the manifest or a file is missing, malformed or fails its hash.</exception>
    public static ModelBundle Load(Stream zipStream) => Load(zipStream, "zip stream", readFilesOnFirstUse: false);

    private static ModelBundle Load(Stream zipStream, string source, bool readFilesOnFirstUse)
    {
        var archive = OpenZip(ref zipStream, source, readFilesOnFirstUse);
        using var owned = readFilesOnFirstUse ? null : archive;
        var entries = Entries(archive, source);

        // The manifest sits at the root, or under one top folder (a zip of the bundle folder itself).
        var prefix = "";
        if (!entries.ContainsKey(ModelBundleManifest.FileName))
        {
            var nested = NestedManifestPrefixes(entries);
            if (nested.Count == 1)
            {
                prefix = nested[0];
            }
        }

        return FromZip(entries, prefix, source, readFilesOnFirstUse, new Lock());
    }

    /// <summary>
    /// Loads every bundle of a zip: the zip itself when its root holds a manifest, otherwise each top
    /// folder that holds one (a set of bundles of different qualities in one zip, e.g. the default model).
    /// The stream is not closed.
    /// </summary>
    /// <param name="zipStream">The zip.</param>
    /// <param name="source">What the zip is (a path or a name), for error messages.</param>
    /// <exception cref="CompassFormatException">Not a zip, no bundle in it, or a bundle fails to load.</exception>
    public static IReadOnlyList<ModelBundle> LoadAll(Stream zipStream, string source) => LoadAll(zipStream, source, readFilesOnFirstUse: false);

    /// <summary>Loads every bundle of a zip (as <see cref="LoadAll(Stream, string)"/>), reading their files at load or on their first use.</summary>
    /// <param name="zipStream">The zip; with <paramref name="readFilesOnFirstUse"/> it is copied, so it may be closed after the call.</param>
    /// <param name="source">What the zip is (a path or a name), for error messages.</param>
    /// <param name="readFilesOnFirstUse">See <see cref="Load(string, bool)"/>.</param>
    /// <exception cref="CompassFormatException">Not a zip, no bundle in it, or a bundle's manifest (or, read at load, a file) fails.</exception>
    public static IReadOnlyList<ModelBundle> LoadAll(Stream zipStream, string source, bool readFilesOnFirstUse)
    {
        ArgumentNullException.ThrowIfNull(zipStream);
        var archive = OpenZip(ref zipStream, source, readFilesOnFirstUse);
        using var owned = readFilesOnFirstUse ? null : archive;
        var entries = Entries(archive, source);
        var gate = new Lock(); // one archive, read by the files of every bundle in it
        if (entries.ContainsKey(ModelBundleManifest.FileName))
        {
            return [FromZip(entries, "", source, readFilesOnFirstUse, gate)];
        }

        var prefixes = NestedManifestPrefixes(entries);
        if (prefixes.Count == 0)
        {
            throw new CompassFormatException($"Model bundle '{source}' has no {ModelBundleManifest.FileName} at its root or in a top folder.");
        }

        return [.. prefixes.Order(StringComparer.Ordinal).Select(p => FromZip(entries, p, $"{source}:{p.TrimEnd('/')}", readFilesOnFirstUse, gate))];
    }

    // Read on first use: the archive outlives the call, so it reads a private copy of the caller's stream.
    private static ZipArchive OpenZip(ref Stream zipStream, string source, bool ownCopy)
    {
        ArgumentNullException.ThrowIfNull(zipStream);
        if (ownCopy)
        {
            var copy = new MemoryStream();
            zipStream.CopyTo(copy);
            copy.Position = 0;
            zipStream = copy;
        }

        try
        {
            return new ZipArchive(zipStream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw new CompassFormatException($"Model bundle '{source}' is not a zip archive: {ex.Message}", ex);
        }
    }

    private static Dictionary<string, ZipArchiveEntry> Entries(ZipArchive archive, string source)
    {
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        IEnumerable<ZipArchiveEntry> all;
        try
        {
            all = archive.Entries; // reads the central directory
        }
        catch (InvalidDataException ex)
        {
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt, $"Model bundle '{source}' has a corrupt zip directory: {ex.Message}", ex);
        }
        foreach (var e in all.Where(e => !e.FullName.EndsWith('/')))
        {
            if (!entries.TryAdd(e.FullName.Replace('\\', '/'), e))
            {
                throw new CompassFormatException($"Model bundle '{source}': the zip holds '{e.FullName}' twice.");
            }
        }

        return entries;
    }

    private static List<string> NestedManifestPrefixes(Dictionary<string, ZipArchiveEntry> entries) =>
        [.. entries.Keys
            .Where(k => k.Count(c => c == '/') == 1 && k.EndsWith("/" + ModelBundleManifest.FileName, StringComparison.Ordinal))
            .Select(k => k[..^ModelBundleManifest.FileName.Length])];

    private static ModelBundle FromZip(Dictionary<string, ZipArchiveEntry> entries, string prefix, string source, bool readFilesOnFirstUse, Lock gate) =>
        Build(source, readFilesOnFirstUse, name =>
        {
            if (!entries.TryGetValue(prefix + name, out var entry))
            {
                return null;
            }

            if (entry.Length > MaxFileBytes)
            {
                throw new CompassFormatException(CompassFormatErrorKind.LimitExceeded, $"Model bundle '{source}': file '{name}' is {entry.Length} bytes, over the {MaxFileBytes}-byte limit.");
            }

            // ZipArchive is not thread-safe; files read on first use may be asked for from several threads.
            using var locked = gate.EnterScope();
            try
            {
                // Open() parses the local file header, so it can find the zip corrupt too.
                using var s = entry.Open();
                // The size in the zip directory is only a claim (a 100-byte zip can claim 1 GiB): start small and
                // let the buffer grow with the bytes that actually decompress, up to the limit.
                using var buffer = new MemoryStream((int)Math.Min(entry.Length, InitialReadBytes));
                if (!CopyBounded(s, buffer, MaxFileBytes))
                {
                    throw new CompassFormatException(CompassFormatErrorKind.LimitExceeded, $"Model bundle '{source}': file '{name}' decompresses to more than the {MaxFileBytes}-byte limit.");
                }
                return buffer.ToArray();
            }
            catch (InvalidDataException ex)
            {
                throw new CompassFormatException(CompassFormatErrorKind.Corrupt, $"Model bundle '{source}': file '{name}' cannot be decompressed: {ex.Message}", ex);
            }
        });

    private const int InitialReadBytes = 1 << 20;

    /// <summary>Copies <paramref name="source"/> to its end; false (and stops) once more than <paramref name="limit"/> bytes arrive.</summary>
    private static bool CopyBounded(Stream source, Stream destination, long limit)
    {
        var chunk = new byte[81920];
        long total = 0;
        int read;
        while ((read = source.Read(chunk)) > 0)
        {
            total += read;
            if (total > limit)
            {
                return false;
            }
            destination.Write(chunk, 0, read);
        }
        return true;
    }

    private static ModelBundle LoadFolder(string folder, bool readFilesOnFirstUse)
    {
        var root = Path.GetFullPath(folder);
        return Build(folder, readFilesOnFirstUse, name =>
        {
            var path = Path.Combine(root, name.Replace('/', Path.DirectorySeparatorChar));
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        });
    }

    private static ModelBundle Build(string source, bool readFilesOnFirstUse, Func<string, byte[]?> read)
    {
        var manifestBytes = read(ModelBundleManifest.FileName)
            ?? throw new CompassFormatException($"Model bundle '{source}' has no {ModelBundleManifest.FileName}.");
        ModelBundleManifest manifest;
        try
        {
            manifest = ModelBundleManifest.Parse(manifestBytes);
        }
        catch (CompassFormatException ex)
        {
            throw new CompassFormatException(ex.Kind, $"{ex.Message} (bundle '{source}')", ex);
        }

        var files = new Dictionary<string, Lazy<byte[]>>(StringComparer.Ordinal);
        foreach (var (name, expected) in manifest.Files)
        {
            var file = new Lazy<byte[]>(() => ReadVerified(source, name, expected, read), LazyThreadSafetyMode.ExecutionAndPublication);
            if (!readFilesOnFirstUse)
            {
                _ = file.Value;
            }

            files[name] = file;
        }

        return new ModelBundle(manifest, manifestBytes, files);
    }

    private static byte[] ReadVerified(string source, string name, string expected, Func<string, byte[]?> read)
    {
        var bytes = read(name)
            ?? throw new CompassFormatException($"Model bundle '{source}': file '{name}' is listed in {ModelBundleManifest.FileName} but missing.");
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != expected)
        {
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt,
                $"Model bundle '{source}': file '{name}' fails its SHA-256 check (manifest {expected}, file {actual}); the bundle is corrupted or was changed.");
        }

        return bytes;
    }
}
