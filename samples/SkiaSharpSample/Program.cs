// Compass with SkiaSharp and no ImageSharp: read an image with Skia's codecs (size and frame count checked
// from the header first), encode it into a 3-layer scalable stream, decode every layer and write each as PNG
// with Skia. Exit code 0 = every check passed, 1 = a check failed, 2 = bad input or no model.
//
//   dotnet run --project samples/SkiaSharpSample                       (bundled Kodak image, 256 px wide)
//   dotnet run --project samples/SkiaSharpSample -- photo.jpg out      (your image, output folder)
using System.Globalization;
using Compass;
using Compass.Imaging;
using Compass.Onnx;
using Compass.SkiaSharp;
using SkiaSharp;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
bool bundled = args.Length == 0;
string imagePath = bundled ? Path.Combine(AppContext.BaseDirectory, "kodim23.png") : args[0];
string outFolder = args.Length > 1 ? args[1] : "skia-out";
int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"  {(ok ? "ok  " : "FAIL")} {what}");
    if (!ok) failures++;
}

OnnxCompassModel model;
try
{
    model = OnnxCompassModel.LoadDefault();
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine($"The sample needs the default model embedded in Compass.Onnx, and this build has none: {ex.Message}");
    return 2;
}

using (model)
{
    SKBitmap bitmap;
    try
    {
        bitmap = SkiaImageLoader.Load(imagePath, new ImageInputLimits { MaxPixels = 24_000_000, MaxFrames = 1 });
    }
    catch (CompassFormatException ex)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return 2;
    }
    if (bundled)
    {
        // A 256x170 copy of the bundled image keeps the run short on a small CPU.
        var small = bitmap.Resize(new SKImageInfo(256, 170, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell));
        bitmap.Dispose();
        bitmap = small;
    }

    using (bitmap)
    {
        var plan = LayerPlan.FromScales(bitmap.Width, bitmap.Height, 0.25, 0.5, 1);
        Console.WriteLine($"{Path.GetFileName(imagePath)} {bitmap.Width}x{bitmap.Height}, plan {plan}, model {model.Description} ({model.ActiveProvider})");

        var encoder = new ScalableEncoder(model);
        byte[] stream = encoder.Encode(bitmap, plan);
        Console.WriteLine($"encoded {stream.Length} bytes");

        // What each layer was coded against: the input downscaled with the encoder's own (Pillow-exact) resampler.
        var references = ScalableEncoder.CreateLayerImages(bitmap.ToPixelBuffer(), plan);
        Directory.CreateDirectory(outFolder);
        using var decoded = new ScalableDecoder(model).Decode(stream);
        Check(decoded.IsComplete && decoded.Layers.Count == plan.Count, $"{plan.Count} layers decoded (got {decoded.Layers.Count})");
        foreach (var layer in decoded.Layers)
        {
            string path = Path.Combine(outFolder, $"layer{layer.Index}.png");
            layer.SaveAs(path, SKEncodedImageFormat.Png);
            double psnr = ImageMetrics.Psnr(references[layer.Index], layer.Pixels);
            Console.WriteLine($"layer {layer.Index}  {layer.Size,-9}  {layer.AccumulatedBytes,7} bytes  {layer.BitsPerPixel,6:0.000} bpp  {psnr,6:0.00} dB  -> {path}");

            // The PNG that Skia wrote holds exactly the decoded pixels.
            using var written = SkiaImageLoader.Load(path);
            Check(written.Width == layer.Size.Width && written.Height == layer.Size.Height && ImageMetrics.Mse(layer.Pixels, written.ToPixelBuffer()) == 0,
                $"{path} is the {layer.Size} decoded layer");
            Check(psnr > 20, $"layer {layer.Index} PSNR {psnr:0.00} dB > 20 dB");
        }
    }
}

// This app carries no ImageSharp: neither loaded nor listed in its dependencies.
bool loaded = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name?.StartsWith("SixLabors", StringComparison.Ordinal) == true);
string deps = Path.Combine(AppContext.BaseDirectory, "SkiaSharpSample.deps.json");
bool listed = File.Exists(deps) && File.ReadAllText(deps).Contains("SixLabors", StringComparison.Ordinal);
Check(!loaded && !listed, "no ImageSharp loaded or in the dependencies");

Console.WriteLine(failures == 0 ? "SkiaSharpSample: PASS" : $"SkiaSharpSample: FAIL ({failures} checks)");
return failures == 0 ? 0 : 1;
