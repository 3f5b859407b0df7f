namespace Compass.Training.Training;

/// <summary>
/// Writes a file so that readers see either the old complete file or the new complete file, never
/// a partial one: the content goes to a temporary file in the same folder, is flushed to disk, and
/// is then renamed over the target (an atomic replace on POSIX file systems and NTFS).
/// </summary>
internal static class AtomicFile
{
    /// <summary>Prefix of temporary names, so listings can ignore leftovers of a killed process.</summary>
    public const string TempMarker = ".tmp-";

    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>; on any failure the old file is untouched.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $"{Path.GetFileName(full)}{TempMarker}{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>The id of the process that created a temporary file of this class, or null for other names.</summary>
    public static int? OwnerProcessId(string path)
    {
        var name = Path.GetFileName(path);
        int at = name.IndexOf(TempMarker, StringComparison.Ordinal);
        if (at < 0) return null;
        var rest = name.AsSpan(at + TempMarker.Length);
        int dash = rest.IndexOf('-');
        return dash > 0 && int.TryParse(rest[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    /// <summary>True for the temporary files this class creates.</summary>
    public static bool IsTemporary(string path) => Path.GetFileName(path).Contains(TempMarker, StringComparison.Ordinal);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
