using Compass.Bitstream;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Testing;
using Compass.Tests.Imaging;
using SixLabors.ImageSharp;

namespace Compass.Tests.Pipeline;

public class ScalableRoundTripTests
{
    private static PixelBuffer TestImage(int width, int height)
    {
        var image = new PixelBuffer(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                ImagingTestData.Set(image, x, y, (byte)(128 + 100 * Math.Sin(x / 23.0)), (byte)(x * y % 251), (byte)(255 * y / height));
        return image;
    }

    public static TheoryData<string> Plans => new()
    {
        "517x389",
        "258x194,517x389",
        "129x97,258x194,517x389",
        "40x30,64x48,129x97,258x194,517x389",
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public void DecoderReproducesTheEncodersReconstructions(string planText)
    {
        var image = TestImage(517, 389);
        var plan = LayerPlan.Parse(planText);
        using var model = new FakeModel();
        var encoder = new ScalableEncoder(model);
        using var output = new MemoryStream();
        var result = encoder.Encode(image, plan, output, new EncodeOptions { Quality = new Quality(2), KeepReconstructions = true });
        Assert.Equal(output.Length, result.TotalBytes);
        Assert.Equal(plan.Count, result.Layers.Count);

        using var decoded = new ScalableDecoder(model).Decode(output.ToArray());
        Assert.False(decoded.IsTruncated);
        Assert.Equal(plan.Count, decoded.Layers.Count);
        for (int k = 0; k < plan.Count; k++)
        {
            Assert.Equal(plan[k], decoded.Layers[k].Size);
            Assert.Equal(result.Layers[k].AccumulatedBytes, decoded.Layers[k].AccumulatedBytes);
            // Same code after entropy decoding: bit-identical, far inside the 1/255 requirement.
            Assert.Equal(result.Reconstructions![k].Data, decoded.Layers[k].Reconstruction.Data);
        }

        // The decoded layers resemble the input (the fake codec is coarse, so only a loose bound).
        var references = ScalableEncoder.CreateLayerImages(image, plan);
        Assert.True(ImageMetrics.Psnr(references[0], decoded.Layers[0].Pixels) > 12);
    }

    [Fact]
    public void CuttingAfterLayerKDecodesLayersZeroToK()
    {
        var image = TestImage(517, 389);
        var plan = LayerPlan.Parse("129x97,258x194,517x389");
        using var model = new FakeModel();
        var bytes = new ScalableEncoder(model).Encode(image, plan, new EncodeOptions { Quality = new Quality(1) });
        using var full = new ScalableDecoder(model).Decode(bytes);

        for (int k = 0; k < plan.Count; k++)
        {
            int cut = (int)full.Layers[k].AccumulatedBytes;
            using var partial = new ScalableDecoder(model).Decode(bytes.AsMemory(0, cut), new DecodeOptions { AllowTruncation = true });
            Assert.Equal(k + 1, partial.Layers.Count);
            Assert.Equal(k < plan.Count - 1, partial.IsTruncated);
            Assert.Equal(full.Layers[k].Reconstruction.Data, partial.Layers[k].Reconstruction.Data);

            if (k < plan.Count - 1)
            {
                var ex = Assert.Throws<CompassFormatException>(() => new ScalableDecoder(model).Decode(bytes.AsMemory(0, cut + 5)));
                Assert.Contains("truncated", ex.Message);
            }
        }
    }

    [Fact]
    public void MaxLayersStopsEarlyWithoutPredictingFurther()
    {
        var image = TestImage(200, 150);
        var plan = LayerPlan.FromScales(200, 150, 0.25, 0.5, 1.0);
        using var model = new FakeModel();
        var bytes = new ScalableEncoder(model).Encode(image, plan, new EncodeOptions { Quality = new Quality(1) });
        int before = model.Networks(1).PredictCalls;
        using var result = new ScalableDecoder(model).Decode(bytes, new DecodeOptions { MaxLayers = 1 });
        Assert.Single(result.Layers);
        Assert.Equal(before, model.Networks(1).PredictCalls);
    }

    [Fact]
    public async Task ProgressiveDecodingYieldsEachLayerFromATrickleStream()
    {
        var image = TestImage(300, 200);
        var plan = LayerPlan.FromScales(300, 200, 0.25, 0.6, 1.0);
        using var model = new FakeModel();
        var bytes = new ScalableEncoder(model).Encode(image, plan);
        var decoder = new ScalableDecoder(model);
        using var trickle = new TrickleStream(bytes, chunk: 7);
        var sizes = new List<LayerSize>();
        await foreach (var layer in decoder.DecodeProgressivelyAsync(trickle))
        {
            using (layer)
            {
                sizes.Add(layer.Size);
                // When layer k is yielded, the stream has been read only up to layer k's end.
                Assert.True(trickle.Position <= layer.AccumulatedBytes + 7);
            }
        }
        Assert.Equal(plan.Layers, sizes);
    }

    [Fact]
    public async Task EncodeFromAnImageStreamAndReadInfo()
    {
        var image = TestImage(97, 65);
        using var png = new MemoryStream();
        using (var asImage = image.ToImage()) await asImage.SaveAsPngAsync(png);
        png.Position = 0;
        using var model = new FakeModel();
        using var output = new MemoryStream();
        var plan = LayerPlan.FromScales(97, 65, 0.5, 1.0);
        var result = await new ScalableEncoder(model).EncodeAsync(png, plan, output, new EncodeOptions { Quality = new Quality(2) });
        output.Position = 0;
        var header = await ScalableDecoder.ReadInfoAsync(output);
        Assert.Equal(plan, header.Plan);
        Assert.Equal(new Quality(2), header.Quality);
        Assert.Equal(model.Networks(2).ModelId, header.ModelId);
        // The public results name the model without reaching into the networks.
        Assert.Equal(header.ModelId, result.ModelId);
        Assert.Equal(header.ModelId, model.GetModelId(2));
        Assert.Equal(new Quality(2), result.Quality);
    }

    [Fact]
    public async Task BadInputGetsClearErrors()
    {
        using var model = new FakeModel();
        var encoder = new ScalableEncoder(model);
        var image = TestImage(64, 48);
        var tooBig = LayerPlan.Parse("32x24,128x96");
        var ex = Assert.Throws<ArgumentException>(() => encoder.Encode(image, tooBig));
        Assert.Contains("larger than the 64x48 image", ex.Message);
        Assert.Throws<ArgumentException>(() => encoder.Encode(image, LayerPlan.Parse("32x24,64x48"), new EncodeOptions { Quality = new Quality(9) }));

        using var notAnImage = new MemoryStream("hello, not an image"u8.ToArray());
        await Assert.ThrowsAsync<CompassFormatException>(() => encoder.EncodeAsync(notAnImage, LayerPlan.Parse("32x24"), new MemoryStream()));

        // A stream made by another model bundle is refused, not decoded into garbage.
        var bytes = encoder.Encode(image, LayerPlan.Parse("32x24,64x48"), new EncodeOptions { Quality = new Quality(1) });
        using var other = new FakeModel(seed: 7);
        var wrong = Assert.Throws<CompassFormatException>(() => new ScalableDecoder(other).Decode(bytes));
        Assert.Contains("model", wrong.Message, StringComparison.OrdinalIgnoreCase);

        // A corrupted payload byte fails the chunk CRC.
        bytes[^3] ^= 0x10;
        Assert.Throws<CompassFormatException>(() => new ScalableDecoder(model).Decode(bytes));
    }

    /// <summary>A non-seekable stream that hands out at most <c>chunk</c> bytes per read, like a slow network.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, chunk), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
