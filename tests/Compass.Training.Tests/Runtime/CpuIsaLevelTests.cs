using System.Diagnostics;
using Compass.Training.Runtime;
using Xunit.Abstractions;

namespace Compass.Training.Tests.Runtime;

/// <summary>
/// <c>compass-train check-cpu</c> (kernel cases and one training step against float64) in a child
/// process under every oneDNN instruction-set level this host supports (<c>DNNL_MAX_CPU_ISA</c> is read
/// once per process, so each level needs its own): an AVX-512 host proves the AVX2 and lower paths, and
/// every host proves what it can. The default kernels must pass at every level; libtorch's default
/// (oneDNN) is run too and its verdict written to the test output, which shows the defect where the host
/// has it (it is not asserted: hosts where oneDNN is right exist).
/// </summary>
public class CpuIsaLevelTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void DefaultKernelsPassAtEveryOneDnnLevelOfThisHost()
    {
        var levels = HostCpu.Current.OneDnnIsaLevels;
        output.WriteLine($"host: {HostCpu.Current}");
        Assert.NotEmpty(levels); // every x86-64 CPU that runs libtorch 2.10 has SSE4.1
        var failures = new List<string>();
        foreach (var level in levels)
        {
            var (code, text) = CheckCpu(level, kernels: null);
            output.WriteLine($"--- DNNL_MAX_CPU_ISA={level}, default kernels: exit {code}\n{text}");
            if (code != 0 || !text.Contains("check-cpu: PASS", StringComparison.Ordinal))
                failures.Add($"{level}: exit {code}: {Verdict(text)}");
            // NNPACK is switched off with oneDNN; where it cannot initialise it would warn once per convolution.
            if (text.Contains("NNPACK", StringComparison.Ordinal))
                failures.Add($"{level}: libtorch tried NNPACK (its warnings reached stderr)");
        }
        Assert.True(failures.Count == 0, "check-cpu failed with the default kernels at: " + string.Join("; ", failures));
    }

    [Fact]
    public void OneDnnKernelsAreCheckedAtEveryLevelAndTheVerdictIsReported()
    {
        foreach (var level in HostCpu.Current.OneDnnIsaLevels)
        {
            var (code, text) = CheckCpu(level, kernels: "onednn");
            output.WriteLine($"--- DNNL_MAX_CPU_ISA={level}, oneDNN kernels: exit {code}: {Verdict(text)}");
            foreach (var line in text.Split('\n').Where(l => l.Contains("WRONG", StringComparison.Ordinal))) output.WriteLine("    " + line.Trim());
            // PASS with exit 0 or FAIL with exit 1: the check ran and judged; a crash or a hang is a failure.
            Assert.True((code == 0 && text.Contains("check-cpu: PASS", StringComparison.Ordinal))
                        || (code == 1 && text.Contains("check-cpu: FAIL", StringComparison.Ordinal)),
                $"check-cpu under DNNL_MAX_CPU_ISA={level} with oneDNN gave no verdict (exit {code}):\n{text}");
        }
    }

    private static string Verdict(string text) =>
        text.Split('\n').LastOrDefault(l => l.StartsWith("check-cpu:", StringComparison.Ordinal))?.Trim() ?? "(no verdict)";

    private static (int Code, string Text) CheckCpu(string level, string? kernels)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "compass-train.dll");
        Assert.True(File.Exists(dll), $"compass-train.dll is not beside the tests ({dll})");
        var start = new ProcessStartInfo(DotnetHost(), [dll, "check-cpu"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment[TorchCpu.OneDnnIsaVariable] = level;
        start.Environment[TorchCpu.EnvironmentVariable] = kernels;
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var child = Process.Start(start)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(ChildTimeout))
        {
            child.Kill(entireProcessTree: true);
            Assert.Fail($"check-cpu under DNNL_MAX_CPU_ISA={level} did not finish in {ChildTimeout.TotalSeconds} s");
        }
        child.WaitForExit();
        return (child.ExitCode, stdout.Result + stderr.Result);
    }

    // The SDK tells test hosts which dotnet runs them; elsewhere the one on PATH.
    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
