using System.Runtime.InteropServices;
using Compass.Training.Export.OnnxProto;
using Google.Protobuf;

namespace Compass.Training.Export;

/// <summary>
/// Rewrites float initializers that fp16 represents exactly as fp16 initializers followed by a
/// <c>Cast</c> to float: the stored model shrinks by half and computes exactly what it computed before.
/// </summary>
internal static class HalfInitializers
{
    /// <summary>Smaller tensors (biases, scalars) stay float: the cast node would cost more than it saves.</summary>
    public const int MinElements = 256;

    /// <summary>Converts, in place, every exact float initializer of at least <paramref name="minElements"/> elements.</summary>
    /// <returns>How many initializers were converted.</returns>
    public static int Compact(GraphProto graph, int minElements)
    {
        var casts = new List<NodeProto>();
        for (var i = 0; i < graph.Initializer.Count; i++)
        {
            var tensor = graph.Initializer[i];
            if (tensor.DataType != (int)TensorProto.Types.DataType.Float || tensor.RawData.Length / sizeof(float) < minElements
                || !TryToHalves(MemoryMarshal.Cast<byte, float>(tensor.RawData.Span), out var halves))
            {
                continue;
            }

            var stored = tensor.Name + "__f16";
            var half = new TensorProto
            {
                Name = stored,
                DataType = (int)TensorProto.Types.DataType.Float16,
                RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes<Half>(halves)),
            };
            half.Dims.Add(tensor.Dims);
            graph.Initializer[i] = half;

            var cast = new NodeProto { OpType = "Cast", Name = "cast_" + tensor.Name };
            cast.Input.Add(stored);
            cast.Output.Add(tensor.Name);
            cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float });
            casts.Add(cast);
        }

        // Graph nodes must be topologically sorted: the casts have no graph inputs, so they go first.
        for (var i = casts.Count - 1; i >= 0; i--)
        {
            graph.Node.Insert(0, casts[i]);
        }

        return casts.Count;
    }

    /// <summary>The values as fp16 when every one of them round-trips bit for bit.</summary>
    internal static bool TryToHalves(ReadOnlySpan<float> values, out Half[] halves)
    {
        halves = new Half[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var h = (Half)values[i];
            if (BitConverter.SingleToInt32Bits((float)h) != BitConverter.SingleToInt32Bits(values[i]))
            {
                halves = [];
                return false;
            }

            halves[i] = h;
        }

        return true;
    }
}
