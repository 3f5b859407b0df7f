using System.Diagnostics;
using SharpFuzz;

namespace Compass.Fuzz;

/// <summary>
/// Entry point. Under libFuzzer (through the libfuzzer-dotnet driver, tests/fuzz/driver/) the target is chosen by
/// the COMPASS_FUZZ_TARGET environment variable. Other modes (uninstrumented build only):
/// <c>seed &lt;corpus-root&gt;</c> writes the valid seed inputs;
/// <c>repro &lt;target&gt; &lt;file|dir&gt;...</c> runs inputs once and prints the outcome of each;
/// <c>replay &lt;target&gt; &lt;file|dir&gt;...</c> does the same but prints only failures and one summary line
/// "replayed N inputs of target T: F failures" (tests/fuzz/replay.sh, run by CI).
/// Both exit 1 when any input failed: an exception escaped the target (anything but CompassFormatException),
/// an input ran longer than COMPASS_FUZZ_TIMEOUT_S (default 10 s, libFuzzer's -timeout=10: the process exits
/// at once with code 3), or the process peak RSS passed COMPASS_FUZZ_TARGET_RSS_MB (default 1536).
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["seed", var root])
        {
            Seeds.Write(root);
            return 0;
        }
        if (args.Length >= 3 && args[0] is "repro" or "replay")
        {
            // "selftest" is not a fuzz target: it exists only for replay.sh --self-test.
            Action<byte[]>? target = args[1] == "selftest" ? Targets.SelfTest : Targets.All.GetValueOrDefault(args[1]);
            if (target is null)
            {
                Console.Error.WriteLine($"Unknown target '{args[1]}'; targets: {string.Join(", ", Targets.All.Keys)}.");
                return 2;
            }
            return Repro(args[1], target, args.Skip(2), verbose: args[0] == "repro");
        }

        var name = Environment.GetEnvironmentVariable("COMPASS_FUZZ_TARGET");
        if (name is null || !Targets.All.TryGetValue(name, out var fuzzTarget))
        {
            Console.Error.WriteLine($"Set COMPASS_FUZZ_TARGET to one of: {string.Join(", ", Targets.All.Keys)}; or use 'seed <dir>' / 'repro <target> <files>' / 'replay <target> <files>'.");
            return 2;
        }
        Fuzzer.LibFuzzer.Run(span => fuzzTarget(span.ToArray()));
        return 0;
    }

    private static int Repro(string name, Action<byte[]> target, IEnumerable<string> paths, bool verbose)
    {
        int timeoutS = int.TryParse(Environment.GetEnvironmentVariable("COMPASS_FUZZ_TIMEOUT_S"), out var t) && t > 0 ? t : 10;
        long rssLimitMb = long.TryParse(Environment.GetEnvironmentVariable("COMPASS_FUZZ_TARGET_RSS_MB"), out var r) && r > 0 ? r : 1536;
        int count = 0, failures = 0;
        long slowestMs = 0;
        string current = "";
        var total = Stopwatch.StartNew();
        // Watchdog: an input that runs past the timeout cannot be aborted, so report it and end the process.
        using var watchdog = new Timer(_ =>
        {
            Console.WriteLine($"TIMEOUT  > {timeoutS} s  {current}");
            Console.WriteLine($"replayed {count + 1} inputs of target {name}: {failures + 1} failures (timeout)");
            Console.Out.Flush();
            Environment.Exit(3);
        });
        var files = paths.SelectMany(p => Directory.Exists(p) ? (IEnumerable<string>)Directory.GetFiles(p).Order(StringComparer.Ordinal) : new[] { p });
        foreach (var file in files)
        {
            current = file;
            var bytes = File.ReadAllBytes(file);
            var started = Stopwatch.StartNew();
            watchdog.Change(TimeSpan.FromSeconds(timeoutS), Timeout.InfiniteTimeSpan);
            string? failure = null;
            try
            {
                target(bytes);
            }
            catch (Exception ex)
            {
                failure = ex.ToString();
            }
            watchdog.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            long ms = started.ElapsedMilliseconds;
            slowestMs = Math.Max(slowestMs, ms);
            count++;
            long peakMb = PeakRssMb();
            if (failure is null && peakMb > rssLimitMb) failure = $"peak RSS {peakMb} MB passed COMPASS_FUZZ_TARGET_RSS_MB={rssLimitMb}";
            if (failure is not null)
            {
                failures++;
                Console.WriteLine($"CRASH  {ms,6} ms  {file}\n{failure}");
            }
            else if (verbose)
            {
                Console.WriteLine($"ok     {ms,6} ms  {file}");
            }
        }
        Console.WriteLine($"replayed {count} inputs of target {name}: {failures} failures ({total.ElapsedMilliseconds} ms, slowest {slowestMs} ms, peak RSS {PeakRssMb()} MB)");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The process's peak resident set (VmHWM) in MB; 0 where /proc is not available.</summary>
    private static long PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) / 1024;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }
}
