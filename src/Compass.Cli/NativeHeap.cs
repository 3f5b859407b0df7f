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

    /// <summary>
    /// Applies the fixed threshold on glibc Linux unless the user set <c>MALLOC_MMAP_THRESHOLD_</c> (glibc reads it at
    /// start-up); a no-op elsewhere. True when the threshold was set here.
    /// </summary>
    public static bool ReturnLargeBlocksToTheSystem()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return false;
        // "libc.so.6" by name: a bare "libc" would be probed as libc.so, which on glibc systems is a linker script.
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc)) return false; // another C library (musl): its own policy stays
        if (!NativeLibrary.TryGetExport(libc, "mallopt", out var address)) return false;
        var mallopt = Marshal.GetDelegateForFunctionPointer<MalloptFunction>(address);
        return mallopt(MmapThreshold, Threshold) == 1;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MalloptFunction(int parameter, int value);
}
