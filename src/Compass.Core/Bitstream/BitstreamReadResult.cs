namespace Compass.Bitstream;

/// <summary>
/// What <see cref="BitstreamReader.ReadAvailableLayersAsync"/> found: the header, every layer that
/// arrived complete and intact, and the problem that stopped reading, if any.
/// </summary>
public sealed class BitstreamReadResult
{
    internal BitstreamReadResult(BitstreamHeader header, IReadOnlyList<LayerPayload> layers, CompassFormatException? error, bool isTruncated)
    {
        Header = header;
        Layers = layers;
        Error = error;
        IsTruncated = isTruncated;
    }

    /// <summary>The stream's header.</summary>
    public BitstreamHeader Header { get; }

    /// <summary>The complete, CRC-checked layers, base layer first; all of them decodable.</summary>
    public IReadOnlyList<LayerPayload> Layers { get; }

    /// <summary>The problem that stopped reading (truncation, corruption, trailing bytes), or null.</summary>
    public CompassFormatException? Error { get; }

    /// <summary>Whether reading stopped because the stream ended early (a download in progress or cut off).</summary>
    public bool IsTruncated { get; }

    /// <summary>Whether every layer of the plan was read and nothing was wrong.</summary>
    public bool IsComplete => Error is null;

    /// <summary>Throws <see cref="Error"/> when reading did not complete.</summary>
    /// <exception cref="CompassFormatException">The stored error.</exception>
    public void ThrowIfIncomplete()
    {
        if (Error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(Error);
        }
    }
}
