namespace Compass.Training.Export;

/// <summary>A tensor in a graph under construction, known by its unique name.</summary>
internal readonly record struct OnnxValue(string Name)
{
    public override string ToString() => Name;
}

/// <summary>
/// Element types the builder writes; the values are ONNX's <c>TensorProto.DataType</c> codes, so they
/// double as the <c>to</c> attribute of Cast.
/// </summary>
internal enum OnnxElementType
{
    Float = 1,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
}

/// <summary>One dimension of a graph input/output: a fixed size or a symbolic name ("H", "W", "N").</summary>
internal readonly struct OnnxDim
{
    private OnnxDim(long? value, string? param)
    {
        Value = value;
        Param = param;
    }

    /// <summary>The fixed size, or null for a symbolic dimension.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name, or null for a fixed dimension.</summary>
    public string? Param { get; }

    public static implicit operator OnnxDim(long value) => new(value, null);

    public static implicit operator OnnxDim(int value) => new(value, null);

    public static implicit operator OnnxDim(string param) => new(null, param);

    public override string ToString() => Param ?? Value!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
