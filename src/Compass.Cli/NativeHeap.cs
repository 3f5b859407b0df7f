using System.Runtime.InteropServices;

namespace Compass.Cli;

/// <summary>
/// Makes glibc's allocator give large freed blocks back to the system. ONNX Runtime allocates every tensor of a
/// network run with malloc (the tool runs it without its arena). glibc serves blocks above its mmap threshold with
/// mmap and returns them on free, but it raises that threshold each time such a block is freed (up to 32 MB), after
/// which the tile-sized activations of a large image come from the heap and stay there: a 24 MP decode peaked at
/// 2.08 GB with the dynamic threshold and at 1.56 GB with a fixed 1 MiB one (docs/performance.md, "Memory").
/// Fixing the threshold, as <c>MALLOC_MMAP_THRESHOLD_</c> does, is a process-wide choice, so the tool makes it and
/// the libraries leave it to the application.
/// </summary>
internal static class NativeHeap
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD in malloc.h
    private const int Threshold = 1 << 20;

    /// <summary>Applies the fixed threshold on glibc Linux unless the user set <c>MALLOC_MMAP_THRESHOLD_</c>; a no-op elsewhere.</summary>
    public static void ReturnLargeBlocksToTheSystem()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return;
        try
        {
            _ = Mallopt(MmapThreshold, Threshold);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // Another C library (musl has no such tuning): its own policy stays.
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
}
