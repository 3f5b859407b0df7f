using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Tests;

public class TorchSharpLoadTests
{
    [Fact]
    public void LibTorchLoadsAndComputes()
    {
        using var a = ones(3);
        using var b = arange(3, dtype: ScalarType.Float32);
        using var c = a + b * 2;
        Assert.Equal(new float[] { 1, 3, 5 }, c.data<float>().ToArray());
    }

    [Fact]
    public void MatMulAndConvRunOnCpu()
    {
        using var x = full(new long[] { 1, 1, 4, 4 }, 1.0f);
        using var w = full(new long[] { 1, 1, 3, 3 }, 1.0f);
        using var y = nn.functional.conv2d(x, w, padding: new long[] { 1, 1 });
        // Centre pixels see all 9 ones; corners see 4.
        Assert.Equal(9f, y[0, 0, 1, 1].item<float>());
        Assert.Equal(4f, y[0, 0, 0, 0].item<float>());
    }
}
