namespace Compass.Bitstream;

/// <summary>
/// Reads exact byte counts from a (possibly non-seekable) stream and counts the offset from where reading
/// began, for error messages. It deliberately keeps no read-ahead buffer: it never consumes a byte past
/// the end of the bitstream, so a bitstream can sit inside a larger stream (a container, a socket).
/// Small fields are read into a caller's scratch buffer, payloads straight into their final array.
/// </summary>
internal sealed class OffsetReader(Stream stream)
{
    /// <summary>Bytes consumed so far = offset of the next byte.</summary>
    public long Position { get; private set; }

    /// <summary>
    /// Fills <paramref name="buffer"/>; returns fewer bytes only when the stream ends. With
    /// <paramref name="sync"/> the stream's synchronous API is used and the task is already complete.
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, bool sync, CancellationToken cancellationToken)
    {
        int read = sync
            ? stream.ReadAtLeast(buffer.Span, buffer.Length, throwOnEndOfStream: false)
            : await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        Position += read;
        return read;
    }
}
