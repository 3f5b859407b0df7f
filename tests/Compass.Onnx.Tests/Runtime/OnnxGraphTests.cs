namespace Compass.Onnx.Tests.Runtime;

public class OnnxGraphTests
{
    private static readonly OnnxRuntimeOptions Cpu = new() { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1, InterOpThreads = 1 };

    [Theory]
    [InlineData(37, 53)]
    [InlineData(64, 96)]
    public void Cpu_RunsTheTinyGraph_OnDynamicSizes(int h, int w)
    {
        using var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, Cpu);
        var x = TinyModel.Input(h, w, h);

        var outputs = graph.Run([OnnxInput.Float("x", x, 1, 2, h, w)]);

        Assert.Equal(["y", "relu"], graph.OutputNames);
        Assert.Equal(["x"], graph.InputNames);
        Assert.Equal(new long[] { 1, 2, h, w }, outputs[0].Shape);
        Assert.Equal("y", outputs[0].Name);
        TinyModel.AssertClose(TinyModel.ExpectedY(x, h, w), outputs[0].Data);
        TinyModel.AssertClose([.. x.Select(v => Math.Max(v, 0f))], outputs[1].Data, 0f);
    }

    [Fact]
    public void Run_ReadsASliceOfACallerArray_AndWritesIntoCallerBuffers()
    {
        const int h = 7, w = 9, n = 2 * h * w;
        using var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, Cpu);
        var x = TinyModel.Input(h, w, 3);
        var big = new float[n + 10];
        x.CopyTo(big, 10);
        var output = new float[n + 4];
        output.AsSpan().Fill(-7f);

        graph.Run([OnnxInput.Float("x", big.AsMemory(10, n), 1, 2, h, w)], [new OnnxOutputBuffer("y", output.AsMemory(2, n), 1, 2, h, w)]);

        TinyModel.AssertClose(TinyModel.ExpectedY(x, h, w), output.AsSpan(2, n));
        Assert.Equal([-7f, -7f], output[..2]);   // nothing written outside the buffer
        Assert.Equal([-7f, -7f], output[^2..]);
    }

    [Fact]
    public void Run_RejectsUnknownNamesAndMismatchedBuffers()
    {
        using var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, Cpu);
        var x = new float[2 * 4 * 4];
        Assert.Throws<ArgumentException>(() => graph.Run([OnnxInput.Float("nope", x, 1, 2, 4, 4)]));
        Assert.Throws<ArgumentException>(() => OnnxInput.Float("x", x, 1, 2, 4, 5));
        Assert.Throws<ArgumentException>(() => graph.Run([OnnxInput.Float("x", x, 1, 2, 4, 4)], [new OnnxOutputBuffer("z", new float[32], 1, 2, 4, 4)]));
    }

    [Fact]
    public void ConcurrentRuns_GiveTheSameResults()
    {
        const int h = 16, w = 24;
        using var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, Cpu);
        var results = new float[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var x = TinyModel.Input(h, w, i);
            var y = graph.Run([OnnxInput.Float("x", x, 1, 2, h, w)])[0].Data;
            TinyModel.AssertClose(TinyModel.ExpectedY(x, h, w), y);
            results[i] = y;
        });
        Assert.All(results, r => Assert.NotNull(r));
    }

    [Fact]
    public void CancelledToken_CancelsTheRun()
    {
        using var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, Cpu);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var x = new float[2 * 8 * 8];
        Assert.ThrowsAny<OperationCanceledException>(() => graph.Run([OnnxInput.Float("x", x, 1, 2, 8, 8)], cts.Token));
    }

    [Fact]
    public void Dispose_IsIdempotent_AndRunAfterDisposeThrows()
    {
        var graph = OnnxGraph.Load("tiny", TinyModel.Bytes, Cpu);
        graph.Dispose();
        graph.Dispose();
        Assert.Throws<ObjectDisposedException>(() => graph.Run([OnnxInput.Float("x", new float[8], 1, 2, 2, 2)]));
    }

    [Fact]
    public void InvalidModelBytes_Throw()
    {
        Assert.ThrowsAny<Exception>(() => OnnxGraph.Load("garbage", [1, 2, 3, 4], Cpu));
    }
}
