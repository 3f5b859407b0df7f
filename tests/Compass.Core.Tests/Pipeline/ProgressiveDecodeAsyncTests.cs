using Compass.Bitstream;
using Compass.Imaging;
using Compass.Pipeline;
using Compass.Testing;
using Compass.Tests.Imaging;

namespace Compass.Tests.Pipeline;

/// <summary>
/// <see cref="ScalableDecoder.DecodeProgressivelyAsync"/> awaits its stream reads and the LIFF prediction instead of
/// blocking the caller's thread, gives the same layers as the synchronous decode, and stops when cancelled.
/// </summary>
public class ProgressiveDecodeAsyncTests
{
    private static readonly LayerPlan Plan = LayerPlan.Parse("64x48,129x97,258x194");

    private static byte[] Encode(CompassModel model)
    {
        var image = new PixelBuffer(258, 194);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                ImagingTestData.Set(image, x, y, (byte)(128 + 100 * Math.Sin(x / 23.0)), (byte)(x * y % 251), (byte)(255 * y / image.Height));
        return new ScalableEncoder(model).Encode(image, Plan, new EncodeOptions { Quality = new Quality(1) });
    }

    [Fact]
    public async Task AThrottledStreamDecodesToTheSameLayersAsTheSynchronousDecode()
    {
        using var model = new FakeModel();
        byte[] bytes = Encode(model);
        using var expected = new ScalableDecoder(model).Decode(bytes);

        using var throttled = new ThrottledStream(bytes, maxPerRead: 61, delay: TimeSpan.FromMilliseconds(1));
        int k = 0;
        await foreach (var layer in new ScalableDecoder(model).DecodeProgressivelyAsync(throttled))
        {
            using (layer)
            {
                // Same code path after the bytes arrive: bit-identical reconstructions (no tolerance).
                Assert.Equal(expected.Layers[k].Reconstruction.Data, layer.Reconstruction.Data);
                Assert.True(throttled.Position <= layer.AccumulatedBytes + 61, "a layer is yielded as soon as its own bytes are in");
            }
            k++;
        }
        Assert.Equal(Plan.Count, k);
        Assert.True(throttled.Reads > bytes.Length / 61, "the stream was really read in small pieces");
    }

    [Fact]
    public async Task WaitingForThePredictionReturnsTheThreadToTheCaller()
    {
        using var inner = new FakeModel();
        byte[] bytes = Encode(inner);
        using var gate = new ManualResetEventSlim(false);
        using var model = new GatedModel(inner, gate);
        await using var layers = new ScalableDecoder(model).DecodeProgressivelyAsync(new MemoryStream(bytes)).GetAsyncEnumerator();
        Assert.True(await layers.MoveNextAsync()); // the base layer needs no prediction
        layers.Current.Dispose();

        // If the decoder blocked on the prediction, MoveNextAsync would only return once this timer opened the gate,
        // already completed: the assertion below would fail (after 10 s) instead of the test hanging.
        using var safety = new Timer(_ => gate.Set(), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        var next = layers.MoveNextAsync();
        Assert.False(next.IsCompleted, "MoveNextAsync blocked the caller while the LIFF prediction was running");
        gate.Set();
        Assert.True(await next);
        using (layers.Current)
            Assert.Equal(1, layers.Current.Index);
    }

    [Fact]
    public async Task CancellingWhileWaitingForThePredictionEndsTheDecode()
    {
        using var inner = new FakeModel();
        byte[] bytes = Encode(inner);
        using var gate = new ManualResetEventSlim(false); // never opened: only cancellation ends the prediction
        using var model = new GatedModel(inner, gate);
        using var cts = new CancellationTokenSource();
        await using var layers = new ScalableDecoder(model).DecodeProgressivelyAsync(new MemoryStream(bytes), cancellationToken: cts.Token).GetAsyncEnumerator();
        Assert.True(await layers.MoveNextAsync());
        layers.Current.Dispose();

        // Cancelled by a timer, not by this thread: a decoder that blocked its caller would still be cancelled.
        cts.CancelAfter(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => layers.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task CancellingWhileWaitingForBytesEndsTheDecode()
    {
        using var model = new FakeModel();
        byte[] bytes = Encode(model);
        using var cts = new CancellationTokenSource();
        // Slow enough that the rest of the stream cannot arrive before the cancellation.
        using var throttled = new ThrottledStream(bytes, maxPerRead: 16, delay: TimeSpan.FromMilliseconds(20));
        var decoded = new List<int>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var layer in new ScalableDecoder(model).DecodeProgressivelyAsync(throttled, cancellationToken: cts.Token))
            {
                using (layer) decoded.Add(layer.Index);
                await cts.CancelAsync();
            }
        });
        Assert.Equal([0], decoded);
        Assert.True(throttled.Position < bytes.Length, "the decoder stopped reading when cancelled");
    }

    /// <summary>A network-like stream: every read waits (asynchronously) and returns a few bytes.</summary>
    private sealed class ThrottledStream(byte[] data, int maxPerRead, TimeSpan delay) : Stream
    {
        private int _position;
        public int Reads { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) =>
            throw new InvalidOperationException("the asynchronous decoder must not read synchronously");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(delay, cancellationToken);
            Reads++;
            int n = Math.Min(Math.Min(buffer.Length, maxPerRead), data.Length - _position);
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The fake model, with every LIFF prediction held until <paramref name="gate"/> opens (or the call is cancelled).</summary>
    private sealed class GatedModel(FakeModel inner, ManualResetEventSlim gate) : CompassModel
    {
        public override IReadOnlyList<int> Qualities => inner.Qualities;
        public override string Description => "fake networks whose prediction waits on a gate";
        public override ICompassNetworks GetNetworks(int quality) => new GatedNetworks(inner.GetNetworks(quality), gate);
    }

    private sealed class GatedNetworks(ICompassNetworks inner, ManualResetEventSlim gate) : ICompassNetworks
    {
        public ModelIdentity ModelId => inner.ModelId;
        public int LiffRadius => inner.LiffRadius;
        public void ReleaseScratch() => inner.ReleaseScratch();
        public CodecTables GetTables(CodecRole role) => inner.GetTables(role);
        public (LatentTensor Y, LatentTensor Z) Analyze(CodecRole role, PlanarImage image) => inner.Analyze(role, image);
        public (LatentTensor Scales, LatentTensor Means) HyperSynthesize(CodecRole role, LatentTensor zHat, int yHeight, int yWidth) =>
            inner.HyperSynthesize(role, zHat, yHeight, yWidth);
        public PlanarImage Synthesize(CodecRole role, LatentTensor yHat, int width, int height) => inner.Synthesize(role, yHat, width, height);

        public PlanarImage Predict(PlanarImage source, LiffWindow window, CancellationToken cancellationToken)
        {
            gate.Wait(cancellationToken);
            return inner.Predict(source, window, cancellationToken);
        }
    }
}
