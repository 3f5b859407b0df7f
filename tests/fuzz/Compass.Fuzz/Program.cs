using SharpFuzz;

namespace Compass.Fuzz;

/// <summary>
/// Entry point. Under libFuzzer (through the libfuzzer-dotnet driver, tests/fuzz/driver/) the target is chosen by
/// the COMPASS_FUZZ_TARGET environment variable. Other modes:
/// <c>seed &lt;corpus-root&gt;</c> writes the valid seed inputs; <c>repro &lt;target&gt; &lt;file|dir&gt;...</c> runs inputs once
/// and prints the outcome of each (exit code 1 when any crashed).
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
        if (args.Length >= 3 && args[0] == "repro")
        {
            return Repro(Targets.All[args[1]], args.Skip(2));
        }

        var name = Environment.GetEnvironmentVariable("COMPASS_FUZZ_TARGET");
        if (name is null || !Targets.All.TryGetValue(name, out var target))
        {
            Console.Error.WriteLine($"Set COMPASS_FUZZ_TARGET to one of: {string.Join(", ", Targets.All.Keys)}; or use 'seed <dir>' / 'repro <target> <files>'.");
            return 2;
        }
        Fuzzer.LibFuzzer.Run(span => target(span.ToArray()));
        return 0;
    }

    private static int Repro(Action<byte[]> target, IEnumerable<string> paths)
    {
        int crashes = 0;
        var files = paths.SelectMany(p => Directory.Exists(p) ? (IEnumerable<string>)Directory.GetFiles(p).Order() : new[] { p });
        foreach (var file in files)
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                target(File.ReadAllBytes(file));
                Console.WriteLine($"ok     {started.ElapsedMilliseconds,6} ms  {file}");
            }
            catch (Exception ex)
            {
                crashes++;
                Console.WriteLine($"CRASH  {started.ElapsedMilliseconds,6} ms  {file}\n{ex}");
            }
        }
        return crashes == 0 ? 0 : 1;
    }
}
