using System.Collections;
using System.Runtime.InteropServices;

namespace Compass.Cli;

/// <summary>
/// Restarts the tool, once, with glibc's <c>glibc.malloc.hugetlb=1</c> tunable, so that the activation buffers ONNX
/// Runtime allocates are backed by transparent huge pages. The tool runs ONNX Runtime without its arena and returns
/// every large block to the system (<see cref="NativeHeap"/>), so each network run maps fresh memory: with 4 KiB pages
/// the kernel's page faults took about 40% of an encode's or decode's CPU time, with 2 MiB pages the same commands run
/// 2-3x faster at the same peak memory and with the same output (docs/performance.md, "Huge pages"). glibc reads its
/// tunables only at process start, hence the restart (<c>execve</c> of the same program, arguments and environment);
/// it is done only for the commands that run networks.
/// </summary>
internal static class HugePages
{
    /// <summary>The tunable that makes glibc's malloc advise huge pages for the memory it maps.</summary>
    public const string Tunable = "glibc.malloc.hugetlb=1";

    /// <summary>Set to 0 to run without the restart.</summary>
    public const string OptOutVariable = "COMPASS_HUGEPAGES";

    private const string ThpSetting = "/sys/kernel/mm/transparent_hugepage/enabled";

    private static readonly string[] NetworkCommands = ["encode", "decode", "eval"];

    /// <summary>
    /// Replaces the process with the same command under <see cref="Tunable"/> where that helps: on glibc Linux 2.35 or
    /// later with transparent huge pages available, for a command that runs networks, unless glibc's huge-page tunable
    /// is already set (by the user, or by this restart) or <see cref="OptOutVariable"/> is 0. Returns only when it does
    /// not restart (or the restart failed, which changes nothing).
    /// </summary>
    public static void RestartWithHugePagesIfUseful(string[] args)
    {
        if (!OperatingSystem.IsLinux() || !ShouldRestart(args, Environment.GetEnvironmentVariable(OptOutVariable),
                Environment.GetEnvironmentVariable("GLIBC_TUNABLES"), ReadThpSetting()))
            return;
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc)) return; // another C library (musl): nothing to tune
        if (!NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out var versionAddress)
            || !NativeLibrary.TryGetExport(libc, "execve", out var execveAddress))
            return;
        var version = Marshal.PtrToStringUTF8(Marshal.GetDelegateForFunctionPointer<VersionFunction>(versionAddress)());
        if (!SupportsTunable(version)) return;
        string[] argv;
        try
        {
            argv = File.ReadAllText("/proc/self/cmdline").Split('\0', StringSplitOptions.None)[..^1];
        }
        catch (IOException)
        {
            return;
        }
        if (argv.Length == 0) return;
        var environment = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if ((string)e.Key != "GLIBC_TUNABLES") environment.Add($"{e.Key}={e.Value}");
        }
        environment.Add("GLIBC_TUNABLES=" + WithTunable(Environment.GetEnvironmentVariable("GLIBC_TUNABLES")));
        var execve = Marshal.GetDelegateForFunctionPointer<ExecveFunction>(execveAddress);
        var argvPointers = ToNative(argv);
        var environmentPointers = ToNative(environment);
        try
        {
            execve("/proc/self/exe", argvPointers, environmentPointers); // returns only on failure
        }
        finally
        {
            foreach (var p in argvPointers) Marshal.FreeCoTaskMem(p);
            foreach (var p in environmentPointers) Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>Whether to restart: a network command, no opt-out, no huge-page tunable chosen yet, THP not off.</summary>
    internal static bool ShouldRestart(string[] args, string? optOut, string? tunables, string? thpSetting) =>
        args.Length > 0 && NetworkCommands.Contains(args[0], StringComparer.Ordinal)
        && optOut != "0"
        && (tunables is null || !tunables.Contains("glibc.malloc.hugetlb", StringComparison.Ordinal))
        && thpSetting is not null && !thpSetting.Contains("[never]", StringComparison.Ordinal);

    /// <summary>GLIBC_TUNABLES with <see cref="Tunable"/> added to the user's own tunables, if any.</summary>
    internal static string WithTunable(string? tunables) => string.IsNullOrEmpty(tunables) ? Tunable : $"{tunables}:{Tunable}";

    /// <summary>glibc 2.35 introduced <c>glibc.malloc.hugetlb</c>; older versions ignore it (the restart would be wasted).</summary>
    internal static bool SupportsTunable(string? glibcVersion) =>
        Version.TryParse(glibcVersion, out var v) && v >= new Version(2, 35);

    private static string? ReadThpSetting()
    {
        try
        {
            return File.ReadAllText(ThpSetting);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // A null-terminated array of UTF-8 strings, as execve takes its arguments and environment.
    private static IntPtr[] ToNative(IReadOnlyList<string> strings)
    {
        var pointers = new IntPtr[strings.Count + 1];
        for (int i = 0; i < strings.Count; i++) pointers[i] = Marshal.StringToCoTaskMemUTF8(strings[i]);
        return pointers;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr VersionFunction();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int ExecveFunction([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr[] argv, IntPtr[] envp);
}
