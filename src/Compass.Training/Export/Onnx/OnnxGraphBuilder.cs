using System.Globalization;
using System.Runtime.InteropServices;
using Compass.Training.Export.OnnxProto;
using Google.Protobuf;
using TorchSharp;

namespace Compass.Training.Export;

/// <summary>
/// Builds an ONNX model by hand, op by op (TorchSharp has no exporter and no tracer). Each op method
/// adds one node and returns its output; initializers are copied out of float arrays or TorchSharp
/// tensors, so the builder holds no native memory. The graph targets <see cref="Opset"/> of the
/// default ONNX domain; an exporter writes the forward pass of its module with these calls and a
/// parity test checks it against TorchSharp in ONNX Runtime.
/// </summary>
/// <remarks>
/// Layout conventions: images are NCHW with N = 1 and symbolic H, W; spatial sizes travel as int64
/// tensors of shape [2] = (H, W), as produced by <see cref="SpatialSize"/>.
/// </remarks>
internal sealed partial class OnnxGraphBuilder
{
    /// <summary>The opset of the default domain every graph imports (ONNX 1.12, supported by ORT 1.31).</summary>
    public const int Opset = 17;

    /// <summary>The IR version that goes with <see cref="Opset"/> (ONNX 1.12 writes IR 8).</summary>
    public const int IrVersion = 8;

    /// <summary>Producer name written in every model.</summary>
    public const string ProducerName = "Compass";

    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxValue> _int64Constants = new(StringComparer.Ordinal);
    private readonly List<StringStringEntryProto> _metadata = [];
    private int _counter;

    /// <summary>Starts an empty graph with the given name.</summary>
    public OnnxGraphBuilder(string graphName)
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        _graph = new GraphProto { Name = graphName };
    }

    /// <summary>
    /// Store every large float initializer whose values are all exact in fp16 as fp16 plus a <c>Cast</c>
    /// (on by default). Lossless by construction, so the graph computes bit for bit what the fp32 graph
    /// would; ONNX Runtime folds the casts when it loads the model. Halves bundles exported from fp16 weights.
    /// </summary>
    public bool StoreExactHalves { get; set; } = true;

    /// <summary>Number of nodes added so far.</summary>
    public int NodeCount => _graph.Node.Count;

    // ---------------------------------------------------------------- graph interface

    /// <summary>Declares a graph input; string dimensions are symbolic (dynamic) sizes.</summary>
    public OnnxValue Input(string name, OnnxElementType type, params OnnxDim[] shape)
    {
        Claim(name);
        _graph.Input.Add(ValueInfo(name, type, shape));
        return new OnnxValue(name);
    }

    /// <summary>
    /// Declares <paramref name="value"/> as a graph output called <paramref name="name"/> (an Identity
    /// node renames it when needed). A null shape leaves the rank unknown.
    /// </summary>
    public void Output(OnnxValue value, string name, OnnxElementType type, params OnnxDim[]? shape)
    {
        if (value.Name != name)
        {
            Claim(name);
            AddNode("Identity", [value], [name], []);
        }

        _graph.Output.Add(ValueInfo(name, type, shape));
    }

    /// <summary>Adds a key/value pair to the model's metadata_props (e.g. preset, export date).</summary>
    public void Metadata(string key, string value) => _metadata.Add(new StringStringEntryProto { Key = key, Value = value });

    // ---------------------------------------------------------------- initializers and constants

    /// <summary>Adds a float initializer (data copied, row-major).</summary>
    public OnnxValue Initializer(string name, ReadOnlySpan<float> data, params long[] shape)
    {
        CheckElementCount(name, data.Length, shape);
        return AddInitializer(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(data), shape);
    }

    /// <summary>Adds an int64 initializer (data copied, row-major).</summary>
    public OnnxValue Int64Initializer(string name, ReadOnlySpan<long> data, params long[] shape)
    {
        CheckElementCount(name, data.Length, shape);
        return AddInitializer(name, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(data), shape);
    }

    /// <summary>Adds a float initializer copied out of a TorchSharp tensor (any device/dtype, converted to float32).</summary>
    public OnnxValue Initializer(string name, torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = torch.NewDisposeScope();
        var cpu = tensor.detach().cpu().to_type(torch.ScalarType.Float32).contiguous();
        return Initializer(name, cpu.data<float>().ToArray(), cpu.shape);
    }

    /// <summary>A 1-D int64 constant (deduplicated: equal constants share one initializer).</summary>
    public OnnxValue Constant(params long[] values)
    {
        var key = string.Join(',', values);
        if (!_int64Constants.TryGetValue(key, out var value))
        {
            value = Int64Initializer(Fresh("const_i64"), values, values.Length);
            _int64Constants[key] = value;
        }

        return value;
    }

    /// <summary>A float scalar (rank 0) constant, for broadcasting arithmetic.</summary>
    public OnnxValue Scalar(float value) => Initializer(Fresh("const_f32"), [value]);

    // ---------------------------------------------------------------- generic node

    /// <summary>
    /// Adds any node of the default domain. Null inputs become "" (an omitted optional input).
    /// Returns its <paramref name="outputCount"/> outputs.
    /// </summary>
    public OnnxValue[] Node(string opType, IReadOnlyList<OnnxValue?> inputs, int outputCount, params AttributeProto[] attributes)
    {
        var outputs = new string[outputCount];
        var stem = Fresh(opType);
        Claim(stem);
        for (var i = 0; i < outputCount; i++)
        {
            outputs[i] = outputCount == 1 ? stem : string.Create(CultureInfo.InvariantCulture, $"{stem}_{i}");
            if (outputCount > 1)
            {
                Claim(outputs[i]);
            }
        }

        AddNode(opType, inputs, outputs, attributes, stem);
        return [.. outputs.Select(o => new OnnxValue(o))];
    }

    /// <summary>Adds a single-output node of the default domain.</summary>
    public OnnxValue Node(string opType, OnnxValue[] inputs, params AttributeProto[] attributes) =>
        Node(opType, [.. inputs.Select(i => (OnnxValue?)i)], 1, attributes)[0];

    // ---------------------------------------------------------------- serialization

    /// <summary>The model as an ONNX <c>ModelProto</c> (a snapshot; the builder may keep growing).</summary>
    public ModelProto ToModel()
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersionString,
            Graph = _graph.Clone(),
        };
        if (StoreExactHalves)
        {
            HalfInitializers.Compact(model.Graph, HalfInitializers.MinElements);
        }

        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        model.MetadataProps.Add(_metadata);
        return model;
    }

    /// <summary>The serialized model.</summary>
    public byte[] ToBytes() => ToModel().ToByteArray();

    /// <summary>Writes the serialized model to a file.</summary>
    public void Save(string path) => File.WriteAllBytes(path, ToBytes());

    /// <summary>Writes the serialized model to a stream.</summary>
    public void WriteTo(Stream stream) => ToModel().WriteTo(stream);

    internal static string ProducerVersionString { get; } =
        typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString(3) ?? "0";

    // ---------------------------------------------------------------- attributes

    /// <summary>An INT attribute.</summary>
    public static AttributeProto Attr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A FLOAT attribute.</summary>
    public static AttributeProto Attr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A STRING attribute.</summary>
    public static AttributeProto Attr(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>An INTS attribute.</summary>
    public static AttributeProto Attr(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    // ---------------------------------------------------------------- internals

    /// <summary>A name not used yet in this graph, derived from <paramref name="stem"/> (not reserved until used).</summary>
    internal string Fresh(string stem)
    {
        string name;
        do
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{stem}_{_counter++}");
        }
        while (_names.Contains(name));

        return name;
    }

    private void Claim(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_names.Add(name))
        {
            throw new ArgumentException($"The name '{name}' is already used in graph '{_graph.Name}'.", nameof(name));
        }
    }

    private void AddNode(string opType, IReadOnlyList<OnnxValue?> inputs, IReadOnlyList<string> outputs, AttributeProto[] attributes, string? nodeName = null)
    {
        if (nodeName is null)
        {
            nodeName = Fresh(opType);
            Claim(nodeName);
        }

        var node = new NodeProto { OpType = opType, Name = nodeName };
        foreach (var input in inputs)
        {
            node.Input.Add(input?.Name ?? "");
        }

        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        _graph.Node.Add(node);
    }

    private OnnxValue AddInitializer(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> littleEndianBytes, long[] shape)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; export runs on little-endian hosts only.");
        }

        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(littleEndianBytes) };
        tensor.Dims.Add(shape);
        _graph.Initializer.Add(tensor);
        return new OnnxValue(name);
    }

    private static void CheckElementCount(string name, int count, long[] shape)
    {
        long expected = 1;
        foreach (var d in shape)
        {
            expected *= d;
        }

        if (expected != count)
        {
            throw new ArgumentException($"Initializer '{name}': shape [{string.Join(',', shape)}] needs {expected} elements, got {count}.");
        }
    }

    private static ValueInfoProto ValueInfo(string name, OnnxElementType type, OnnxDim[]? shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (shape is not null)
        {
            var s = new TensorShapeProto();
            foreach (var d in shape)
            {
                s.Dim.Add(d.Param is null
                    ? new TensorShapeProto.Types.Dimension { DimValue = d.Value!.Value }
                    : new TensorShapeProto.Types.Dimension { DimParam = d.Param });
            }

            tensorType.Shape = s;
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
