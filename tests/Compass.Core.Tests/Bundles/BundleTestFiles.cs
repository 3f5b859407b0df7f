namespace Compass.Tests.Bundles;

/// <summary>Arbitrary file contents for bundle tests (the loader never interprets them).</summary>
internal static class BundleTestFiles
{
    /// <summary>Stands in for a serialized network: 4 KB of deterministic bytes.</summary>
    public static byte[] TinyOnnx { get; } = [.. Enumerable.Range(0, 4096).Select(i => (byte)((i * 31) + 7))];
}

/// <summary>A temporary folder removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "compass-core-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder is harmless.
        }
    }
}
