namespace Compass.Onnx.Tests.Runtime;

public class NativeFloatBufferTests
{
    [Fact]
    public void Slices_ShareTheMemory()
    {
        using var buffer = new NativeFloatBuffer(10);
        Assert.Equal(10, buffer.Length);
        buffer.GetSpan().Fill(1f);
        buffer.Slice(4, 3).Span.Fill(7f);
        Assert.Equal([1f, 1f, 1f, 1f, 7f, 7f, 7f, 1f, 1f, 1f], buffer.GetSpan().ToArray());
        Assert.Equal([7f, 7f, 7f], buffer.Slice(4, 3).ToArray());
    }

    [Fact]
    public void UseAfterDispose_Throws()
    {
        var buffer = new NativeFloatBuffer(4);
        ((IDisposable)buffer).Dispose();
        ((IDisposable)buffer).Dispose();
        Assert.Throws<ObjectDisposedException>(() => buffer.GetSpan());
        Assert.Throws<ObjectDisposedException>(() => buffer.Pin());
    }

    [Fact]
    public void PinOutsideTheBuffer_Throws()
    {
        using var buffer = new NativeFloatBuffer(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Pin(5));
    }
}
