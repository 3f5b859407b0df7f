using System.Buffers.Binary;
using System.IO.Compression;

using Compass.Bundles;

namespace Compass.Tests.Fuzz;

/// <summary>Regression tests for fuzzing findings in the bundle loader (tests/fuzz, target <c>bundle</c>).</summary>
public class BundleFuzzRegressionTests
{
    /// <summary>
    /// A zip whose directory claims a 1 GiB manifest but holds 2 bytes. The loader used to allocate the
    /// claimed size up front (<c>new MemoryStream((int)entry.Length)</c>): 128 bytes of input cost 1 GiB.
    /// Reproducer: tests/fuzz/crashes/bundle-claims-1gib-manifest.zip.
    /// </summary>
    [Fact]
    public void ZipClaimingAHugeFile_IsRefusedWithoutAllocatingTheClaim()
    {
        var zip = ZipWithClaimedSize("manifest.json", "{}"u8.ToArray(), claimedSize: 0x3FFFFF00);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<CompassFormatException>(() => ModelBundle.Load(new MemoryStream(zip)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 16 << 20, $"loading a {zip.Length}-byte zip allocated {allocated} bytes");
    }

    /// <summary>
    /// A zip whose central directory is fine but whose local file header is corrupt: <c>ZipArchiveEntry.Open()</c>
    /// throws <see cref="InvalidDataException"/>, which used to escape <c>ModelBundle.Load</c> (found by the fuzzer
    /// within 34 executions; reproducer tests/fuzz/crashes/bundle-corrupt-local-header-2521dc6e).
    /// </summary>
    [Fact]
    public void CorruptLocalFileHeader_IsAFormatError()
    {
        var zip = ZipWithClaimedSize("manifest.json", "{}"u8.ToArray(), claimedSize: null);
        zip[0] = (byte)'X'; // local header signature PK\3\4 -> XK\3\4

        var ex = Assert.Throws<CompassFormatException>(() => ModelBundle.Load(new MemoryStream(zip)));
        Assert.IsType<InvalidDataException>(ex.InnerException);
    }

    /// <summary>A 1 MiB manifest of zeros compressed to about 1 KB still loads its real size (and fails to parse).</summary>
    [Fact]
    public void HonestLargeEntry_IsReadCompletely()
    {
        var content = new byte[(1 << 20) + 12345];
        var zip = ZipWithClaimedSize("manifest.json", content, claimedSize: null);
        var ex = Assert.Throws<CompassFormatException>(() => ModelBundle.Load(new MemoryStream(zip)));
        Assert.DoesNotContain("decompress", ex.Message);
    }

    /// <summary>Writes a one-entry deflate zip and optionally overwrites the uncompressed size in both headers.</summary>
    internal static byte[] ZipWithClaimedSize(string name, byte[] content, uint? claimedSize)
    {
        using var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = archive.CreateEntry(name, CompressionLevel.Optimal).Open();
            entry.Write(content);
        }
        var bytes = output.ToArray();
        if (claimedSize is uint size)
        {
            // Local file header: uncompressed size at +22; central directory header (PK\1\2): at +24.
            Assert.Equal(0x04034b50u, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(22), size);
            int central = bytes.AsSpan().IndexOf("PK\u0001\u0002"u8);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(central + 24), size);
        }
        return bytes;
    }
}
