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
    private readonly Dictionary<string, Tensor> _tensors;

    internal LoadedStateDict(Dictionary<string, Tensor> tensors, string source)
    {
        _tensors = tensors;
        Source = source;
    }

    /// <summary>Where the dictionary came from (file and nesting key), for error messages.</summary>
    public string Source { get; }

    /// <inheritdoc />
    public Tensor this[string key] => _tensors[key];

    /// <inheritdoc />
    public IEnumerable<string> Keys => _tensors.Keys;

    /// <inheritdoc />
    public IEnumerable<Tensor> Values => _tensors.Values;

    /// <inheritdoc />
    public int Count => _tensors.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value) => _tensors.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }
}
