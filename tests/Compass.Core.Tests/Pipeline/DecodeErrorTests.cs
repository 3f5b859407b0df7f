using Compass.Bitstream;
using Compass.Imaging;
using Compass.Testing;
using Compass.Tests.Imaging;
using Xunit.Abstractions;

namespace Compass.Tests.Pipeline;

/// <summary>
/// A layer whose chunk is intact (its CRC matches) but whose rANS strings are not: the error names the layer
/// and an absolute byte of the stream, and the layers decoded before it are not lost.
/// </summary>
public class DecodeErrorTests(ITestOutputHelper output)
{
    private static readonly LayerPlan Plan = LayerPlan.Parse("64x48,129x97,258x194");

    /// <summary>A 3-layer stream of the fake model, and the same stream with one byte of layer 2's y string flipped (CRCs recomputed).</summary>
    private static (FakeModel Model, byte[] Good, byte[] Bad) Streams()
    {
        var model = new FakeModel();
        var image = new PixelBuffer(258, 194);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                ImagingTestData.Set(image, x, y, (byte)(128 + 100 * Math.Sin(x / 23.0)), (byte)(x * y % 251), (byte)(255 * y / image.Height));
        byte[] good = new ScalableEncoder(model).Encode(image, Plan, new EncodeOptions { Quality = new Quality(1) });
        return (model, good, CorruptY(good, layer: 2));
    }

    /// <summary>Rewrites <paramref name="stream"/> with one byte in the middle of a layer's y string changed; the chunk CRCs stay valid.</summary>
    private static byte[] CorruptY(byte[] stream, int layer)
    {
        var read = new BitstreamReader(new MemoryStream(stream)).ReadAvailableLayers();
        Assert.True(read.IsComplete);
        var payloads = read.Layers.ToArray();
        byte[] y = payloads[layer].YStream.ToArray();
        y[y.Length / 2] ^= 0x5A;
        payloads[layer] = new LayerPayload(payloads[layer].ZStream, y);
        return BitstreamWriter.ToArray(read.Header, payloads);
    }

    /// <summary>Where a layer's y string sits in the stream: [start, end).</summary>
    private static (long Start, long End) YRange(byte[] stream, int layer)
    {
        var chunk = BitstreamInspector.Inspect(new MemoryStream(stream)).Layers[layer];
        long start = chunk.Offset + 8 + 4 + chunk.ZBytes!.Value;
        return (start, chunk.Offset + chunk.ChunkBytes);
    }

    [Fact]
    public void ARansErrorNamesTheLayerAndAnAbsoluteOffsetInsideThatLayersYString()
    {
        var (model, _, bad) = Streams();
        using (model)
        {
            var (start, end) = YRange(bad, 2);
            var ex = Assert.Throws<CompassFormatException>(() => new ScalableDecoder(model).Decode(bad));
            output.WriteLine($"layer 2's y string: bytes [{start}, {end}); error: {ex.Message}");

            Assert.StartsWith("Layer 2, y symbols", ex.Message);
            Assert.Contains($"from stream offset {start}", ex.Message);
            Assert.NotNull(ex.ByteOffset);
            // The offset is where rANS noticed the damage; an exhausted or mismatched final state is noticed at the
            // string's end, which is the first byte after it (the convention of truncation errors).
            Assert.InRange(ex.ByteOffset!.Value, start, end);
            Assert.EndsWith($"(at byte {ex.ByteOffset})", ex.Message);
            Assert.IsType<CompassFormatException>(ex.InnerException);
            Assert.Equal(CompassFormatErrorKind.Corrupt, ex.Kind); // restating the rANS error keeps its kind
        }
    }

    [Fact]
    public void ARansErrorInTheZStringNamesTheZStringsOffset()
    {
        var (model, good, _) = Streams();
        using (model)
        {
            // Cut the z string of layer 1 to 4 bytes (not 8 plus a multiple of 4 bytes: an error without an offset
            // of its own, reported at the start of the string).
            var read = new BitstreamReader(new MemoryStream(good)).ReadAvailableLayers();
            var payloads = read.Layers.ToArray();
            payloads[1] = new LayerPayload(payloads[1].ZStream[..4], payloads[1].YStream);
            byte[] bad = BitstreamWriter.ToArray(read.Header, payloads);
            var chunk = BitstreamInspector.Inspect(new MemoryStream(bad)).Layers[1];

            var ex = Assert.Throws<CompassFormatException>(() => new ScalableDecoder(model).Decode(bad));
            Assert.StartsWith("Layer 1, z symbols", ex.Message);
            Assert.Equal(chunk.Offset + 8 + 4, ex.ByteOffset);
        }
    }

    [Fact]
    public async Task LayersDecodedBeforeAnErrorAreKeptWhenAsked()
    {
        var (model, good, bad) = Streams();
        using (model)
        {
            var decoder = new ScalableDecoder(model);
            using var reference = decoder.Decode(good);

            using var partial = decoder.Decode(bad, new DecodeOptions { KeepLayersOnError = true });
            Assert.Equal(2, partial.Layers.Count);
            Assert.False(partial.IsComplete);
            Assert.False(partial.IsTruncated);
            Assert.Null(partial.Truncation);
            Assert.StartsWith("Layer 2, y symbols", partial.Error!.Message);
            for (int k = 0; k < 2; k++)
                Assert.Equal(reference.Layers[k].Reconstruction.Data, partial.Layers[k].Reconstruction.Data);

            using var partialAsync = await decoder.DecodeAsync(new MemoryStream(bad), new DecodeOptions { KeepLayersOnError = true });
            Assert.Equal(2, partialAsync.Layers.Count);
            Assert.Equal(partial.Error.Message, partialAsync.Error!.Message);

            // Callers that do not ask keep the old contract: the error is thrown.
            Assert.Throws<CompassFormatException>(() => decoder.Decode(bad));
            Assert.True(reference.IsComplete);
            Assert.Null(reference.Error);
        }
    }

    [Fact]
    public void KeepLayersOnErrorAlsoKeepsTheLayersBeforeATruncationOrAFailedCrc()
    {
        var (model, good, _) = Streams();
        using (model)
        {
            var decoder = new ScalableDecoder(model);
            var options = new DecodeOptions { KeepLayersOnError = true };
            long layer2 = BitstreamInspector.Inspect(new MemoryStream(good)).Layers[2].Offset;

            using var cut = decoder.Decode(good.AsMemory(0, (int)layer2 + 20), options);
            Assert.Equal(2, cut.Layers.Count);
            Assert.True(cut.IsTruncated);
            Assert.Equal(CompassFormatErrorKind.Truncated, cut.Error!.Kind);
            Assert.Same(cut.Error, cut.Truncation);

            byte[] flipped = (byte[])good.Clone();
            flipped[^3] ^= 0x10;
            using var crc = decoder.Decode(flipped, options);
            Assert.Equal(2, crc.Layers.Count);
            Assert.False(crc.IsTruncated);
            Assert.Contains("Layer 2: chunk CRC mismatch", crc.Error!.Message);
            Assert.Equal(CompassFormatErrorKind.Corrupt, crc.Error.Kind);

            // A bad header leaves nothing to decode: it still throws.
            byte[] foreign = (byte[])good.Clone();
            foreign[0] ^= 0xFF;
            Assert.Throws<CompassFormatException>(() => decoder.Decode(foreign, options));
        }
    }
}
