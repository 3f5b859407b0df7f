using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Compass.Onnx.Gpu.Tests;

/// <summary>
/// Provider selection on ONNX Runtime's CUDA build. Without a GPU with CUDA 13 the CUDA set-up fails and these
/// tests check the fallback; where CUDA works they skip. The fallback is logged once per process, so this is the
/// only test in this assembly that creates sessions with <see cref="ExecutionProvider.Auto"/> in-process.
/// </summary>
public class CudaFallbackTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SkippableFact]
    public void Auto_WithoutCuda_FallsBackToCpu_LogsOnceAtInformation_AndRestoresTheLogLevel()
    {
        Assert.True(OnnxRuntimeNatives.HasCudaProvider, "Compass.Onnx.Gpu's ONNX Runtime build has the CUDA provider");
        var levelBefore = OnnxRuntimeNatives.Environment.EnvLogLevel;
        var logger = new RecordingLogger();
        var options = new OnnxRuntimeOptions { Provider = ExecutionProvider.Auto, Logger = logger, IntraOpThreads = 1 };

        using var first = OnnxGraph.Load("first", TinyModel.Bytes, options);
        Skip.If(first.Provider == ExecutionProvider.Cuda, "CUDA is available on this machine; nothing falls back.");
        using var second = OnnxGraph.Load("second", TinyModel.Bytes, options);

        Assert.Equal(ExecutionProvider.Cpu, first.Provider);
        Assert.Equal(ExecutionProvider.Cpu, second.Provider);
        foreach (var entry in logger.Entries) output.WriteLine($"{entry.Level}: {entry.Message}");
        // One Information line for the process (with ONNX Runtime's reason), then Debug per graph.
        var fallback = Assert.Single(logger.Entries, e => e.Level >= LogLevel.Information);
        Assert.Equal(LogLevel.Information, fallback.Level);
        Assert.Contains("The CUDA execution provider cannot be set up (", fallback.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("()", fallback.Message, StringComparison.Ordinal);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("'first'", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("'second'", StringComparison.Ordinal));
        // The attempt ran with ONNX Runtime's log level at Fatal and put back what it found.
        Assert.Equal(levelBefore, OnnxRuntimeNatives.Environment.EnvLogLevel);

        var x = TinyModel.Input(3, 5, 1);
        var y = second.Run([OnnxInput.Float("x", x, 1, 2, 3, 5)]);
        TinyModel.AssertClose(TinyModel.ExpectedY(x, 3, 5), y[0].Data);
    }

    [SkippableFact]
    public void Cuda_WithoutCuda_ThrowsNotSupportedWithTheReason()
    {
        NotSupportedException ex;
        try
        {
            using var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, new OnnxRuntimeOptions { Provider = ExecutionProvider.Cuda });
            Skip.If(graph.Provider == ExecutionProvider.Cuda, "CUDA is available on this machine.");
            throw new Xunit.Sdk.XunitException("Expected NotSupportedException or a CUDA session.");
        }
        catch (NotSupportedException caught)
        {
            ex = caught;
        }

        output.WriteLine(ex.Message);
        Assert.Contains("CUDA execution provider is not available", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'tiny'", ex.Message, StringComparison.Ordinal);
        Assert.IsType<OnnxRuntimeException>(ex.InnerException);
        Assert.Contains(ex.InnerException!.Message.Trim(), ex.Message, StringComparison.Ordinal);
    }
}
