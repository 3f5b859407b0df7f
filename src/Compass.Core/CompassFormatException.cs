namespace Compass;

/// <summary>
/// The one exception type Compass throws for malformed, truncated, corrupted or unsupported input
/// (bitstreams, model bundles, images). Its message says what was wrong and, for streams, at which byte;
/// <see cref="Kind"/> says which kind of problem it is, for code that reacts differently to each.
/// </summary>
/// <remarks>It derives from <see cref="FormatException"/> (<see cref="InvalidDataException"/>, the closer match, is
/// sealed), so code that handles malformed input generically handles it too.</remarks>
public sealed class CompassFormatException : FormatException
{
    /// <summary>Creates the exception with a message naming the problem (<see cref="CompassFormatErrorKind.Malformed"/>).</summary>
    /// <param name="message">What was wrong.</param>
    public CompassFormatException(string message) : this(CompassFormatErrorKind.Malformed, message) { }

    /// <summary>Creates the exception with a message naming the problem and the underlying cause (<see cref="CompassFormatErrorKind.Malformed"/>).</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The lower-level error.</param>
    public CompassFormatException(string message, Exception innerException) : this(CompassFormatErrorKind.Malformed, message, innerException) { }

    /// <summary>Creates the exception for a problem found at a byte offset of a stream (<see cref="CompassFormatErrorKind.Malformed"/>).</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="byteOffset">Where in the stream.</param>
    public CompassFormatException(string message, long byteOffset) : this(CompassFormatErrorKind.Malformed, message, byteOffset) { }

    /// <summary>Creates the exception for a problem of a given kind.</summary>
    /// <param name="kind">Which kind of problem.</param>
    /// <param name="message">What was wrong.</param>
    public CompassFormatException(CompassFormatErrorKind kind, string message) : base(message)
    {
        Kind = kind;
        Detail = message;
    }

    /// <summary>Creates the exception for a problem of a given kind, caused by another error.</summary>
    /// <param name="kind">Which kind of problem.</param>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The lower-level error.</param>
    public CompassFormatException(CompassFormatErrorKind kind, string message, Exception innerException) : base(message, innerException)
    {
        Kind = kind;
        Detail = message;
    }

    /// <summary>Creates the exception for a problem of a given kind found at a byte offset of a stream.</summary>
    /// <param name="kind">Which kind of problem.</param>
    /// <param name="message">What was wrong.</param>
    /// <param name="byteOffset">Where in the stream.</param>
    public CompassFormatException(CompassFormatErrorKind kind, string message, long byteOffset) : base($"{message} (at byte {byteOffset})")
    {
        Kind = kind;
        Detail = message;
        ByteOffset = byteOffset;
    }

    /// <summary>A problem found at a byte offset, caused by another (a lower-level error restated with more context).</summary>
    internal CompassFormatException(CompassFormatErrorKind kind, string message, long byteOffset, Exception innerException)
        : base($"{message} (at byte {byteOffset})", innerException)
    {
        Kind = kind;
        Detail = message;
        ByteOffset = byteOffset;
    }

    /// <summary>Which kind of problem this is.</summary>
    public CompassFormatErrorKind Kind { get; }

    /// <summary>The byte offset in the stream where the problem was found, when known.</summary>
    public long? ByteOffset { get; }

    /// <summary>Whether the input ended early (<see cref="CompassFormatErrorKind.Truncated"/>): the bytes before the cut are intact.</summary>
    public bool IsTruncation => Kind == CompassFormatErrorKind.Truncated;

    /// <summary>The message without the "(at byte n)" suffix, for restating the problem with another offset.</summary>
    internal string Detail { get; }
}

/// <summary>The kinds of <see cref="CompassFormatException"/>.</summary>
public enum CompassFormatErrorKind
{
    /// <summary>The input breaks a rule of its format (a bad magic number, a field out of range, an inconsistent size).</summary>
    Malformed = 0,

    /// <summary>The input ends early; what came before the cut is intact (a decoder may use the complete layers).</summary>
    Truncated = 1,

    /// <summary>An integrity check failed: a CRC mismatch, a damaged entropy-coded string, a file whose hash differs from its manifest.</summary>
    Corrupt = 2,

    /// <summary>The input is of a format or version this library does not decode.</summary>
    UnsupportedVersion = 3,

    /// <summary>The stream was made by another model bundle or at a quality the model set does not provide.</summary>
    ModelMismatch = 4,

    /// <summary>The input is well formed but exceeds a configured limit (<see cref="Bitstream.BitstreamLimits"/>, maximum input pixels).</summary>
    LimitExceeded = 5,

    /// <summary>Trailing bytes follow the last layer of a stream.</summary>
    TrailingData = 6,
}
