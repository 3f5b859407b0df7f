namespace Compass.Samples.ProgressiveDecoding;

/// <summary>
/// A read-only stream that hands out at most <c>chunkSize</c> bytes per <c>interval</c>, like a slow network
/// link: the decoder sees the stream's bytes arrive over time, as it would from an HTTP response.
/// </summary>
internal sealed class ThrottledStream(Stream inner, int chunkSize, TimeSpan interval) : Stream
{
    private DateTime _nextChunk = DateTime.UtcNow;
    private int _leftInChunk;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_leftInChunk == 0)
        {
            var wait = _nextChunk - DateTime.UtcNow;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
            _nextChunk = DateTime.UtcNow + interval;
            _leftInChunk = chunkSize;
        }
        int read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, _leftInChunk)], cancellationToken);
        _leftInChunk -= read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
