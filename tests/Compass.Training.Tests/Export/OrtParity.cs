using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Compass.Training.Tests.Export;

/// <summary>Runs a written model in ONNX Runtime (CPU provider) on TorchSharp tensors, for parity checks.</summary>
internal sealed class OrtModel : IDisposable
{
    private readonly InferenceSession _session;

    public OrtModel(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(model, options);
    }

    /// <summary>Runs the model; outputs come back as TorchSharp tensors (float32 or int64) by name.</summary>
    public Dictionary<string, Tensor> Run(params (string Name, Tensor Value)[] inputs)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach (var (_, t) in inputs)
            {
                values.Add(t.dtype switch
                {
                    ScalarType.Float32 => OrtValue.CreateTensorValueFromMemory(t.contiguous().data<float>().ToArray(), t.shape),
                    ScalarType.Int64 => OrtValue.CreateTensorValueFromMemory(t.contiguous().data<long>().ToArray(), t.shape),
                    _ => throw new NotSupportedException(t.dtype.ToString()),
                });
            }

            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), values, _session.OutputNames);
            var result = new Dictionary<string, Tensor>();
            for (var i = 0; i < outputs.Count; i++)
            {
                var info = outputs[i].GetTensorTypeAndShape();
                result[_session.OutputNames[i]] = info.ElementDataType switch
                {
                    TensorElementType.Float => tensor(outputs[i].GetTensorDataAsSpan<float>().ToArray(), info.Shape),
                    TensorElementType.Int64 => tensor(outputs[i].GetTensorDataAsSpan<long>().ToArray(), info.Shape),
                    _ => throw new NotSupportedException(info.ElementDataType.ToString()),
                };
            }

            return result;
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
        }
    }

    public void Dispose() => _session.Dispose();
}

internal static class Parity
{
    /// <summary>The two sizes every dynamic-shape model runs on: odd x odd and even x even.</summary>
    public static readonly (int H, int W)[] Sizes = [(37, 53), (64, 96)];

    public const double Tolerance = 1e-5;

    public static Generator Seeded(long seed) => new Generator((ulong)seed);

    public static Tensor Randn(Generator g, params long[] shape) => randn(shape, generator: g);

    /// <summary>Asserts equal shapes and max |expected - actual| &lt;= tolerance, reporting the worst difference.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = Tolerance)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(',', actual.shape)}], expected [{string.Join(',', expected.shape)}]");
        if (expected.dtype == ScalarType.Int64)
        {
            Assert.True(expected.eq(actual).all().item<bool>(), $"{what}: int64 values differ");
            return;
        }

        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= tolerance, $"{what}: max abs diff {diff:E3} > {tolerance:E1}");
    }
}
