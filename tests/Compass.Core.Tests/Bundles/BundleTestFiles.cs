namespace Compass.Tests.Bundles;

/// <summary>Arbitrary file contents for bundle tests (the loader never interprets them).</summary>
internal static class BundleTestFiles
{
    /// <summary>Stands in for a serialized network: 4 KB of deterministic bytes.</summary>
    public static byte[] TinyOnnx { get; } = [.. Enumerable.Range(0, 4096).Select(i => (byte)((i * 31) + 7))];
}
