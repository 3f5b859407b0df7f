namespace Compass;

/// <summary>
/// The one exception type Compass throws for malformed, truncated, corrupted or unsupported input
/// (bitstreams, model bundles, images). Its message says what was wrong and, for streams, at which byte.
/// </summary>
public sealed class CompassFormatException : Exception
{
    /// <summary>Creates the exception with a message naming the problem.</summary>
    public CompassFormatException(string message) : base(message) => Detail = message;

    /// <summary>Creates the exception with a message naming the problem and the underlying cause.</summary>
    public CompassFormatException(string message, Exception innerException) : base(message, innerException) => Detail = message;

    /// <summary>Creates the exception for a problem found at a byte offset of a stream.</summary>
    public CompassFormatException(string message, long byteOffset) : base($"{message} (at byte {byteOffset})")
    {
        Detail = message;
        ByteOffset = byteOffset;
    }

    /// <summary>A problem found at a byte offset, caused by another (a lower-level error restated with more context).</summary>
    internal CompassFormatException(string message, long byteOffset, Exception innerException) : base($"{message} (at byte {byteOffset})", innerException)
    {
        Detail = message;
        ByteOffset = byteOffset;
    }

    /// <summary>The byte offset in the stream where the problem was found, when known.</summary>
    public long? ByteOffset { get; }

    /// <summary>The message without the "(at byte n)" suffix, for restating the problem with another offset.</summary>
    internal string Detail { get; }
}
