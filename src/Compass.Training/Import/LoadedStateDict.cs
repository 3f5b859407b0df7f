using System.Collections;
using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace Compass.Training.Import;

/// <summary>
/// A name-to-tensor dictionary read from a checkpoint. It owns its tensors: dispose it when done
/// (after copying them into modules).
/// </summary>
public sealed class LoadedStateDict : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly Dictionary<string, Tensor> tensors;

    internal LoadedStateDict(Dictionary<string, Tensor> tensors, string source)
    {
        this.tensors = tensors;
        Source = source;
    }

    /// <summary>Where the dictionary came from (file and nesting key), for error messages.</summary>
    public string Source { get; }

    /// <inheritdoc />
    public Tensor this[string key] => tensors[key];

    /// <inheritdoc />
    public IEnumerable<string> Keys => tensors.Keys;

    /// <inheritdoc />
    public IEnumerable<Tensor> Values => tensors.Values;

    /// <inheritdoc />
    public int Count => tensors.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => tensors.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value) => tensors.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
