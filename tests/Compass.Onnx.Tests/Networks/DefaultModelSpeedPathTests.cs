using Compass.ImageSharp;
using Compass.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Onnx.Tests;

/// <summary>
/// The speed paths (LIFF prediction chunking, the prediction running concurrently with the residual decode,
/// skipping the encoder's last synthesis, ONNX Runtime thread settings) must not change a single bit of a
/// stream or of a decoded layer.
/// </summary>
public sealed class DefaultModelSpeedPathTests
{
    [Fact]
    public async Task StreamsAndDecodedLayers_AreBitIdentical_AcrossChunkSizesThreadsAndReconstructionChoice()
    {
        if (!typeof(OnnxCompassModel).Assembly.GetManifestResourceNames().Contains(OnnxCompassModel.DefaultResourceName))
        {
            return; // a build without the default model has nothing to run
        }

        using var image = CreateImage(160, 96);
        var plan = LayerPlan.Parse("40x24,80x48,160x96");
        Bundles.ModelBundle Bundle()
        {
            using var stream = typeof(OnnxCompassModel).Assembly.GetManifestResourceStream(OnnxCompassModel.DefaultResourceName)!;
            return Bundles.ModelBundle.LoadAll(stream, "default")[0];
        }

        // Reference: one thread, spinning on, a chunk larger than any layer, reconstructions kept by the encoder.
        using var reference = OnnxCompassModel.Create([Bundle()],
            new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1, InterOpThreads = 1 }, predictChunk: 1 << 20);
        // Variant: two threads, no spinning, an odd chunk that splits every enhancement layer unevenly.
        using var variant = OnnxCompassModel.Create([Bundle()],
            new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 2, AllowSpinning = false }, predictChunk: 1000);

        using var kept = new MemoryStream();
        var keptResult = new ScalableEncoder(reference).Encode(image, plan, kept, new EncodeOptions { KeepReconstructions = true });
        byte[] fast = new ScalableEncoder(variant).Encode(image, plan);
        Assert.Equal(kept.ToArray(), fast);

        foreach (var model in new[] { reference, variant })
        {
            using var decoded = await new ScalableDecoder(model).DecodeAsync(new MemoryStream(fast));
            Assert.Equal(3, decoded.Layers.Count);
            for (int k = 0; k < 3; k++)
                Assert.Equal(keptResult.Reconstructions![k].Data, decoded.Layers[k].Reconstruction.Data);
        }
    }

    private static Image<Rgb24> CreateImage(int width, int height)
    {
        var random = new Random(5);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte n = (byte)random.Next(32);
                image[x, y] = new Rgb24((byte)((x * 255 / width) ^ n), (byte)(y * 255 / height), (byte)(((x + y) * 2) + n));
            }
        }
        return image;
    }
}
