using Compass.Onnx;
using Xunit.Abstractions;

namespace Compass.Imaging.Tests;

/// <summary>
/// Images under 16 px a side are coded as one layer of their own size with the embedded default model: the layer is
/// coded padded to 16 px a side by repeating its last row and column, and cropped back (Compass.Pipeline.TinyLayer).
/// </summary>
public sealed class TinyImageTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(15, 40)]
    [InlineData(16, 16)]
    public void ATinyImageRoundTripsAsOneLayer(int width, int height)
    {
        using var model = DefaultModel();
        var image = TestImages.Random(width, height, seed: width * 100 + height);
        var plan = LayerPlan.Default(width, height);
        Assert.Equal(new LayerSize(width, height), Assert.Single(plan.Layers));

        byte[] stream = new ScalableEncoder(model).Encode(image, plan);
        using var decoded = new ScalableDecoder(model).Decode(stream);
        var layer = Assert.Single(decoded.Layers);
        Assert.Equal(new LayerSize(width, height), layer.Size);
        double psnr = ImageMetrics.Psnr(image, layer.Pixels);
        output.WriteLine($"{width}x{height}: {stream.Length} bytes, {psnr:0.00} dB");
        // A sanity bound, not a quality target: these noisy random images give 18.8 to 24.4 dB at the default quality
        // (measured); coded without the padding, the 1x1 pixel gave 9.3 dB, and a shifted crop gives garbage.
        Assert.True(psnr > 16, $"{width}x{height}: {psnr:0.00} dB");

        // Decoding is a pure function of the stream (docs/determinism.md): a second decoder gives the same pixels.
        using var again = new ScalableDecoder(model).Decode(stream);
        Assert.Equal(layer.Pixels.Pixels.ToArray(), again.Layers[0].Pixels.Pixels.ToArray());
    }

    [SkippableFact]
    public void ATinyImageKeepsItsAlphaExactly()
    {
        using var model = DefaultModel();
        var rgba = TestImages.Random(7, 5, seed: 75).ConvertTo(PixelLayout.Rgba32);
        for (int i = 3; i < rgba.Pixels.Length; i += 4) rgba.Pixels[i] = (byte)(i * 11);
        byte[] stream = new ScalableEncoder(model).Encode(rgba, LayerPlan.Default(7, 5));
        using var decoded = new ScalableDecoder(model).Decode(stream);
        var back = decoded.Layers[0].Pixels.ConvertTo(PixelLayout.Rgba32);
        for (int i = 3; i < rgba.Pixels.Length; i += 4) Assert.Equal(rgba.Pixels[i], back.Pixels[i]);
    }

    // The embedded default model on the CPU; a build without one skips the test.
    private static OnnxCompassModel DefaultModel()
    {
        try
        {
            return OnnxCompassModel.LoadDefault(new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        }
        catch (InvalidOperationException e)
        {
            throw new SkipException($"no default model embedded: {e.Message}");
        }
    }
}
