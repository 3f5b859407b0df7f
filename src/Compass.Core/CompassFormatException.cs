namespace Compass;

/// <summary>
/// The one exception type Compass throws for malformed, truncated, corrupted or unsupported input
/// (bitstreams, model bundles, images). Its message says what was wrong and, for streams, at which byte.
/// </summary>
public sealed class CompassFormatException : Exception
{
    /// <summary>Creates the exception with a message naming the problem.</summary>
    public CompassFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message naming the problem and the underlying cause.</summary>
    public CompassFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a problem found at a byte offset of a stream.</summary>
    public CompassFormatException(string message, long byteOffset) : base($"{message} (at byte {byteOffset})") => ByteOffset = byteOffset;

    /// <summary>The byte offset in the stream where the problem was found, when known.</summary>
    public long? ByteOffset { get; }
}
