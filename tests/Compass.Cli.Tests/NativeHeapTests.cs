namespace Compass.Cli.Tests;

public class NativeHeapTests
{
    [Fact]
    public void TheMmapThresholdIsFixedOnGlibcLinux()
    {
        // The tool's large-image memory depends on it (docs/performance.md, "Large images"): on glibc Linux the call
        // must reach mallopt and succeed, elsewhere (or when the user chose a threshold) it must leave things alone.
        bool glibc = OperatingSystem.IsLinux() && File.Exists("/lib/x86_64-linux-gnu/libc.so.6") | File.Exists("/lib/aarch64-linux-gnu/libc.so.6") | File.Exists("/lib64/libc.so.6");
        bool userChose = Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null;
        Assert.Equal(glibc && !userChose, NativeHeap.ReturnLargeBlocksToTheSystem());
    }
}
