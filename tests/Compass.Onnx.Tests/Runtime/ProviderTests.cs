using Microsoft.Extensions.Logging;

namespace Compass.Onnx.Tests.Runtime;

/// <summary>
/// Provider selection on ONNX Runtime's CPU build (Compass.Onnx.Cpu), which has no CUDA provider. The CUDA build's
/// fallback (CUDA set-up failing at run time) is tested in Compass.Onnx.Gpu.Tests.
/// </summary>
public class ProviderTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Auto_OnTheCpuBuild_RunsOnTheCpuWithoutTryingCuda()
    {
        Assert.False(OnnxRuntimeNatives.HasCudaProvider, "Compass.Onnx.Cpu's ONNX Runtime build has no CUDA provider");
        var logger = new RecordingLogger();
        using var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, new OnnxRuntimeOptions { Provider = ExecutionProvider.Auto, Logger = logger, IntraOpThreads = 1 });

        Assert.Equal(ExecutionProvider.Cpu, graph.Provider);
        // The expected path of a CPU-only app: Debug only, nothing at Information or above.
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Information);
        var reason = Assert.Single(logger.Entries, e => e.Message.Contains("no CUDA execution provider", StringComparison.Ordinal));
        output.WriteLine(reason.Message);
        Assert.Equal(LogLevel.Debug, reason.Level);

        var x = TinyModel.Input(3, 5, 1);
        var y = graph.Run([OnnxInput.Float("x", x, 1, 2, 3, 5)]);
        TinyModel.AssertClose(TinyModel.ExpectedY(x, 3, 5), y[0].Data);
    }

    [Fact]
    public void Cuda_OnTheCpuBuild_ThrowsNotSupportedNamingTheGpuPackage()
    {
        var ex = Assert.Throws<NotSupportedException>(() => OnnxGraph.Load("tiny", TinyModel.Bytes, new OnnxRuntimeOptions { Provider = ExecutionProvider.Cuda }));

        output.WriteLine(ex.Message);
        Assert.Contains("CUDA execution provider is not available", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'tiny'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Compass.Onnx.Gpu", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingNatives_MessageNamesBothPackages()
    {
        // What the runtime throws when no native package is referenced (the real case runs in Compass.Onnx.Gpu.Tests).
        var thrown = new TypeInitializationException("Microsoft.ML.OnnxRuntime.NativeMethods", new DllNotFoundException("Unable to load shared library 'onnxruntime'"));
        Assert.True(OnnxRuntimeNatives.IsNativeLoadFailure(thrown, out var cause));
        Assert.IsType<DllNotFoundException>(cause);
        Assert.False(OnnxRuntimeNatives.IsNativeLoadFailure(new InvalidOperationException("other"), out _));

        var message = OnnxRuntimeNatives.MissingMessage(cause.Message);
        Assert.Contains("Compass.Onnx.Cpu", message, StringComparison.Ordinal);
        Assert.Contains("Compass.Onnx.Gpu", message, StringComparison.Ordinal);
        Assert.Contains("Unable to load shared library 'onnxruntime'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_NeverTriesCuda()
    {
        var logger = new RecordingLogger();
        using var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu, Logger = logger });

        Assert.Equal(ExecutionProvider.Cpu, graph.Provider);
        Assert.DoesNotContain(logger.Entries, e => e.Message.Contains("CUDA", StringComparison.Ordinal));
    }

    [Fact]
    public void Options_RejectNegativeValues()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxRuntimeOptions { IntraOpThreads = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxRuntimeOptions { InterOpThreads = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxRuntimeOptions { CudaDeviceId = -1 });
        Assert.Equal(ExecutionProvider.Auto, OnnxRuntimeOptions.Default.Provider);
    }
}
