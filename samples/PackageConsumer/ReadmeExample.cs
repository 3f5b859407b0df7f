// The encode/decode example of the package READMEs (docs/packages/Compass.Onnx.md, Compass.Core.md and Compass.ImageSharp.md),
// line for line: build/pack-and-consume.sh checks that every line of the README's code block appears
// here in order, so the README's example is known to compile against the published packages.
using Compass;
using Compass.ImageSharp;
using Compass.Onnx;

namespace PackageConsumer;

internal static class ReadmeExample
{
    /// <summary>Runs the README example in the current directory (reads photo.png, writes layerN.png).</summary>
    public static void Run()
    {
        using var model = OnnxCompassModel.LoadDefault();   // the embedded model; CUDA where available, else CPU
        using var image = ImageSharpLoader.Load("photo.png");
        var plan = LayerPlan.FromScales(image.Width, image.Height, 0.25, 0.5, 1);
        byte[] stream = new ScalableEncoder(model).Encode(image, plan);
        using var decoded = new ScalableDecoder(model).Decode(stream);  // DecodeOptions { MaxLayers = 1 }: thumbnail only
        foreach (var layer in decoded.Layers)
            layer.SaveAsPng($"layer{layer.Index}.png");
    }
}
