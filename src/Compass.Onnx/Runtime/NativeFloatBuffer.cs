using System.Buffers;
using System.Runtime.InteropServices;

namespace Compass.Onnx;

/// <summary>
/// A float buffer in native memory, freed when disposed. For scratch buffers of hundreds of megabytes that must leave
/// the process as soon as the work that needs them is done: an array would stay until a full garbage collection
/// (which the libraries never force), and a pooled array stays for good.
/// </summary>
/// <remarks>The memory is not zeroed. Not thread-safe: one owner at a time, who must dispose it (no finalizer: one
/// could free the memory while a span over it is still in use, CA2015).</remarks>
internal sealed unsafe class NativeFloatBuffer : MemoryManager<float>
{
    private float* _pointer;

    /// <summary>Allocates <paramref name="length"/> floats.</summary>
    /// <exception cref="OutOfMemoryException">The allocation failed.</exception>
    public NativeFloatBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _pointer = (float*)NativeMemory.Alloc((nuint)Math.Max(length, 1), sizeof(float));
    }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <inheritdoc />
    public override Span<float> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer == null, this);
        return new Span<float>(_pointer, Length);
    }

    /// <summary>A slice of the buffer as <see cref="Memory{T}"/>.</summary>
    public Memory<float> Slice(int start, int length) => Memory.Slice(start, length);

    /// <inheritdoc />
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_pointer == null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)Length, nameof(elementIndex));
        // Native memory never moves: nothing to pin.
        return new MemoryHandle(_pointer + elementIndex);
    }

    /// <inheritdoc />
    public override void Unpin()
    {
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (_pointer == null) return;
        NativeMemory.Free(_pointer);
        _pointer = null;
    }
}
