namespace Compass.Onnx;

/// <summary>
/// A named input over caller memory (float32 or int64, row-major). The memory is pinned and handed to
/// ONNX Runtime as is for the duration of one run, never copied.
/// </summary>
internal readonly struct OnnxInput
{
    private OnnxInput(string name, Memory<float> floats, Memory<long> longs, bool isFloat, long[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        Floats = floats;
        Longs = longs;
        IsFloat = isFloat;
        Shape = shape;
        var count = OnnxShape.ElementCount(shape);
        var length = isFloat ? floats.Length : longs.Length;
        if (count != length)
        {
            throw new ArgumentException($"Input '{name}': shape [{string.Join(',', shape)}] needs {count} elements, the buffer has {length}.");
        }
    }

    /// <summary>The graph input name.</summary>
    public string Name { get; }

    /// <summary>The tensor shape.</summary>
    public long[] Shape { get; }

    internal Memory<float> Floats { get; }

    internal Memory<long> Longs { get; }

    internal bool IsFloat { get; }

    /// <summary>A float32 input over <paramref name="data"/>.</summary>
    public static OnnxInput Float(string name, Memory<float> data, params long[] shape) => new(name, data, default, true, shape);

    /// <summary>An int64 input over <paramref name="data"/> (indices, sizes).</summary>
    public static OnnxInput Int64(string name, Memory<long> data, params long[] shape) => new(name, default, data, false, shape);
}

/// <summary>A float32 output copied out of ONNX Runtime: row-major data and its shape.</summary>
internal sealed record OnnxOutput(string Name, float[] Data, long[] Shape);

/// <summary>A caller-provided float32 output buffer of a known shape, written in place by a run.</summary>
internal readonly struct OnnxOutputBuffer
{
    /// <summary>Wraps <paramref name="data"/> as the output <paramref name="name"/> of shape <paramref name="shape"/>.</summary>
    public OnnxOutputBuffer(string name, Memory<float> data, params long[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        var count = OnnxShape.ElementCount(shape);
        if (count != data.Length)
        {
            throw new ArgumentException($"Output '{name}': shape [{string.Join(',', shape)}] needs {count} elements, the buffer has {data.Length}.");
        }

        Name = name;
        Data = data;
        Shape = shape;
    }

    /// <summary>The graph output name.</summary>
    public string Name { get; }

    /// <summary>The buffer the run writes into.</summary>
    public Memory<float> Data { get; }

    /// <summary>The shape the graph must produce.</summary>
    public long[] Shape { get; }
}

internal static class OnnxShape
{
    public static long ElementCount(long[] shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape [{string.Join(',', shape)}] has a negative dimension.");
            }

            count = checked(count * d);
        }

        return count;
    }
}
