using Microsoft.Extensions.Logging;

namespace Compass.Onnx.Tests.Runtime;

/// <summary>Provider selection. This machine has no GPU/CUDA 13, so CUDA set-up fails; where it works the CUDA-failure tests skip.</summary>
public class ProviderTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SkippableFact]
    public void Auto_WithoutCuda_FallsBackToCpuAndLogsWhy()
    {
        var logger = new RecordingLogger();
        using var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, new OnnxRuntimeOptions { Provider = ExecutionProvider.Auto, Logger = logger, IntraOpThreads = 1 });
        Skip.If(graph.Provider == ExecutionProvider.Cuda, "CUDA is available on this machine; nothing falls back.");

        Assert.Equal(ExecutionProvider.Cpu, graph.Provider);
        var fallback = Assert.Single(logger.Entries, e => e.Message.Contains("falling back to the CPU", StringComparison.Ordinal));
        output.WriteLine(fallback.Message);
        Assert.Equal(LogLevel.Information, fallback.Level);
        Assert.Contains("'tiny'", fallback.Message, StringComparison.Ordinal);
        // The reason is ONNX Runtime's own message, after the colon.
        var reason = fallback.Message[(fallback.Message.IndexOf("CPU: ", StringComparison.Ordinal) + 5)..];
        Assert.False(string.IsNullOrWhiteSpace(reason), "the fallback message carries no reason");

        // And the fallback session works.
        var x = TinyModel.Input(3, 5, 1);
        var y = graph.Run([OnnxInput.Float("x", x, 1, 2, 3, 5)]);
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
        Assert.NotNull(ex.InnerException);
        Assert.Contains(ex.InnerException!.Message.Trim(), ex.Message, StringComparison.Ordinal);
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
