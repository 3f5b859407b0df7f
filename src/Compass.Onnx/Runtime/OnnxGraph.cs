using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Compass.Onnx;

/// <summary>
/// One exported network in one <see cref="InferenceSession"/>: knows its input and output names and
/// runs on <see cref="OrtValue"/>s created over the caller's arrays (no input copies).
/// </summary>
/// <remarks>
/// Thread safety: <see cref="Run(ReadOnlySpan{OnnxInput}, CancellationToken)"/> may be called from
/// several threads at once (ONNX Runtime's <c>InferenceSession.Run</c> is thread-safe), but not
/// concurrently with <see cref="Dispose"/>. Dispose is idempotent.
/// </remarks>
internal sealed class OnnxGraph : IDisposable
{
    private readonly InferenceSession _session;
    private readonly HashSet<string> _inputNames;
    private int _disposed;

    private OnnxGraph(string name, InferenceSession session, ExecutionProvider provider)
    {
        Name = name;
        _session = session;
        Provider = provider;
        InputNames = session.InputNames.ToArray();
        OutputNames = session.OutputNames.ToArray();
        _inputNames = new HashSet<string>(InputNames, StringComparer.Ordinal);
    }

    /// <summary>A name for logs and errors (e.g. "g_s").</summary>
    public string Name { get; }

    /// <summary>The provider the session actually runs on.</summary>
    public ExecutionProvider Provider { get; }

    /// <summary>The graph's input names, in graph order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The graph's output names, in graph order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>The declared dimensions of an input (-1 for a symbolic size), or null when there is no such input.</summary>
    public int[]? InputDimensions(string name) =>
        _session.InputMetadata.TryGetValue(name, out var meta) ? meta.Dimensions : null;

    /// <summary>The declared dimensions of an output (-1 for a symbolic size), or null when there is no such output.</summary>
    public int[]? OutputDimensions(string name) =>
        _session.OutputMetadata.TryGetValue(name, out var meta) ? meta.Dimensions : null;

    /// <summary>Creates a session for the serialized model on the provider the options ask for.</summary>
    public static OnnxGraph Load(string name, byte[] model, OnnxRuntimeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var session = OnnxSessionFactory.Create(model, options ?? OnnxRuntimeOptions.Default, name, out var provider);
        return new OnnxGraph(name, session, provider);
    }

    /// <summary>Runs the graph and copies every output out as float32 data plus shape (in <see cref="OutputNames"/> order).</summary>
    public IReadOnlyList<OnnxOutput> Run(ReadOnlySpan<OnnxInput> inputs, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var (names, values) = Wrap(inputs);
        try
        {
            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(static o => ((RunOptions)o!).Terminate = true, runOptions);
            using var results = RunCore(() => _session.Run(runOptions, names, values, _session.OutputNames), cancellationToken);
            var outputs = new OnnxOutput[results.Count];
            for (var i = 0; i < results.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                if (info.ElementDataType != TensorElementType.Float)
                {
                    throw new InvalidOperationException($"ONNX graph '{Name}': output '{OutputNames[i]}' is {info.ElementDataType}, not float32.");
                }

                outputs[i] = new OnnxOutput(OutputNames[i], results[i].GetTensorDataAsSpan<float>().ToArray(), info.Shape);
            }

            return outputs;
        }
        finally
        {
            DisposeAll(values);
        }
    }

    /// <summary>Runs the graph, writing the named outputs straight into caller buffers of the right shape.</summary>
    public void Run(ReadOnlySpan<OnnxInput> inputs, ReadOnlySpan<OnnxOutputBuffer> outputs, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var (names, values) = Wrap(inputs);
        var outputNames = new string[outputs.Length];
        var outputValues = new List<OrtValue>(outputs.Length);
        try
        {
            for (var i = 0; i < outputs.Length; i++)
            {
                if (!OutputNames.Contains(outputs[i].Name))
                {
                    throw new ArgumentException($"ONNX graph '{Name}' has no output '{outputs[i].Name}' (outputs: {string.Join(", ", OutputNames)}).");
                }

                outputNames[i] = outputs[i].Name;
                outputValues.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, outputs[i].Data, outputs[i].Shape));
            }

            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(static o => ((RunOptions)o!).Terminate = true, runOptions);
            RunCore(() =>
            {
                _session.Run(runOptions, names, values, outputNames, outputValues);
                return 0;
            }, cancellationToken);
        }
        finally
        {
            DisposeAll(values);
            DisposeAll(outputValues);
        }
    }

    /// <summary>Releases the session. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Dispose();
        }
    }

    private static T RunCore<T>(Func<T> run, CancellationToken cancellationToken)
    {
        try
        {
            return run();
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            // RunOptions.Terminate makes ORT fail the run; report it as the cancellation it is.
            throw new OperationCanceledException(cancellationToken);
        }
    }

    private (string[] Names, List<OrtValue> Values) Wrap(ReadOnlySpan<OnnxInput> inputs)
    {
        var names = new string[inputs.Length];
        var values = new List<OrtValue>(inputs.Length);
        try
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                var input = inputs[i];
                if (!_inputNames.Contains(input.Name))
                {
                    throw new ArgumentException($"ONNX graph '{Name}' has no input '{input.Name}' (inputs: {string.Join(", ", InputNames)}).");
                }

                names[i] = input.Name;
                values.Add(input.IsFloat
                    ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.Floats, input.Shape)
                    : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.Longs, input.Shape));
            }

            return (names, values);
        }
        catch
        {
            DisposeAll(values);
            throw;
        }
    }

    private static void DisposeAll(List<OrtValue> values)
    {
        foreach (var v in values)
        {
            v.Dispose();
        }
    }
}
