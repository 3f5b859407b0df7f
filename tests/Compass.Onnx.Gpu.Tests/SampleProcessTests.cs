using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Compass.Testing;

namespace Compass.Onnx.Gpu.Tests;

/// <summary>
/// Runs samples/ProgressiveDecoding (built against Compass.Onnx.Gpu, the default model, ExecutionProvider.Auto) as
/// its own process, because ONNX Runtime's native logger writes to the process's stderr, out of reach in-process.
/// </summary>
public partial class SampleProcessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private static string SamplePath { get; } = typeof(SampleProcessTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ProgressiveDecodingSample").Value
        ?? throw new InvalidOperationException("The test assembly does not record the sample's path.");

    private static string KodakImage => Path.Combine(Path.GetDirectoryName(SamplePath)!, "kodim23.png");

    [Fact]
    public void GpuBuild_OnThisMachine_PrintsNoOnnxRuntimeErrorLine_AndDecodesEveryLayer()
    {
        using var dir = new TempDir();
        // kodim23 is 768x512: layers of 96x64 and 192x128 keep the run to seconds on two cores.
        var (code, stdout, stderr) = Run(dir.Path, [SamplePath, KodakImage, "0.125,0.25"]);

        Assert.Equal(0, code);
        // Without CUDA 13, ONNX Runtime's CUDA build fails to load its CUDA provider and, unless told otherwise,
        // prints "[E:onnxruntime:..., provider_bridge_ort.cc...] Failed to load library libonnxruntime_providers_cuda.so".
        Assert.DoesNotContain("[E:onnxruntime", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("[W:onnxruntime", stderr, StringComparison.Ordinal);
        Assert.Matches(@"\((Cpu|Cuda)\)", stdout);

        var layers = LayerLine().Matches(stdout);
        Assert.Equal(2, layers.Count);
        Assert.Equal(["96x64", "192x128"], layers.Select(m => m.Groups["size"].Value));
        foreach (Match layer in layers)
        {
            // The default model codes these small layers at 25-30 dB; 20 dB (as samples/PackageConsumer asks of its
            // last layer) leaves room for provider differences and still fails for garbage (below 12 dB) or NaN.
            double psnr = double.Parse(layer.Groups["psnr"].Value, CultureInfo.InvariantCulture);
            Assert.InRange(psnr, 20, 60);
        }
        Assert.True(File.Exists(Path.Combine(dir.Path, "out", "layer1.png")), "the sample wrote out/layer1.png");
    }

    [Fact]
    public void WithoutOnnxRuntimeNatives_LoadingTheModelFailsNamingBothPackages()
    {
        using var dir = new TempDir();
        // The sample without ONNX Runtime's native assets (files and deps.json entries): what an app gets that
        // references Compass.Onnx alone (Microsoft.ML.OnnxRuntime.Managed, no native package).
        string app = dir.Combine("app");
        string built = Path.GetDirectoryName(SamplePath)!;
        foreach (var file in Directory.EnumerateFiles(built, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(built, file);
            if (relative.StartsWith("runtimes", StringComparison.Ordinal)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(app, relative))!);
            File.Copy(file, Path.Combine(app, relative));
        }
        string depsFile = Path.Combine(app, Path.GetFileNameWithoutExtension(SamplePath) + ".deps.json");
        var deps = JsonNode.Parse(File.ReadAllText(depsFile))!;
        int removed = 0;
        foreach (var (_, target) in deps["targets"]!.AsObject())
        {
            foreach (var (name, library) in target!.AsObject())
            {
                if (!name.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal) || library is not JsonObject entry) continue;
                removed += entry.Remove("native") ? 1 : 0;
                removed += entry.Remove("runtimeTargets") ? 1 : 0;
            }
        }
        Assert.True(removed > 0, "the sample's deps.json lists ONNX Runtime natives to remove");
        File.WriteAllText(depsFile, deps.ToJsonString());

        var (code, _, stderr) = Run(dir.Path, [Path.Combine(app, Path.GetFileName(SamplePath)), KodakImage, "0.125,0.25"]);

        Assert.NotEqual(0, code);
        Assert.Contains("ONNX Runtime's native library could not be loaded", stderr, StringComparison.Ordinal);
        Assert.Contains("Compass.Onnx.Cpu", stderr, StringComparison.Ordinal);
        Assert.Contains("Compass.Onnx.Gpu", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("DllNotFoundException", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("TypeInitializationException", stderr, StringComparison.Ordinal);
    }

    private (int Code, string Stdout, string Stderr) Run(string workingDirectory, string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The sample ran for more than {Timeout.TotalMinutes} minutes.");
        }
        output.WriteLine($"exit {process.ExitCode}\n--- stdout\n{stdout.Result}\n--- stderr\n{stderr.Result}");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [GeneratedRegex(@"^layer (?<index>\d+)\s+(?<size>\d+x\d+)\s.*?(?<psnr>-?[\d.]+|NaN|∞) dB", RegexOptions.Multiline)]
    private static partial Regex LayerLine();
}
