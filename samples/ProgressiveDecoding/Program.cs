// Progressive decoding: encode one image into a 3-layer Compass stream, then decode it layer by layer
// while its bytes trickle in over a (simulated) slow network, writing each layer as soon as it is ready.
//
//   dotnet run --project samples/ProgressiveDecoding                          (bundled Kodak image, 0.25,0.5,1)
//   dotnet run --project samples/ProgressiveDecoding -- photo.jpg 0.2,0.6,1   (your image and scales)
using System.Diagnostics;
using System.Globalization;
using Compass;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Onnx;
using Compass.Samples.ProgressiveDecoding;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string imagePath = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "kodim23.png");
string scaleText = args.Length > 1 ? args[1] : "0.25,0.5,1";

using var model = LoadDefaultModel();
if (model is null) return 1;
try
{
    var image = ImageSharpLoader.LoadPixels(imagePath);
    var plan = LayerPlan.FromScales(image.Width, image.Height, scaleText.Split(',').Select(double.Parse).ToArray());
    Console.WriteLine($"{Path.GetFileName(imagePath)} {image.Width}x{image.Height}, plan {plan}, model: {model.Description} ({model.ActiveProvider})");

    // 1. Encode: one stream holding every layer.
    byte[] stream = new ScalableEncoder(model).Encode(image, plan);
    Console.WriteLine($"encoded {stream.Length} bytes; now receiving them at 8 KiB per 100 ms...");

    // 2. Decode while the bytes arrive: each layer is ready as soon as its own bytes are in.
    var references = ScalableEncoder.CreateLayerImages(image, plan); // what each layer was coded against
    Directory.CreateDirectory("out");
    await using var network = new ThrottledStream(new MemoryStream(stream), 8 * 1024, TimeSpan.FromMilliseconds(100));
    var clock = Stopwatch.StartNew();
    await foreach (var layer in new ScalableDecoder(model).DecodeProgressivelyAsync(network))
    {
        using (layer)
        {
            string path = Path.Combine("out", $"layer{layer.Index}.png");
            await layer.SaveAsPngAsync(path);
            double psnr = ImageMetrics.Psnr(references[layer.Index], layer.Pixels);
            Console.WriteLine($"layer {layer.Index}  {layer.Size,-9}  {layer.AccumulatedBytes * 8,8} bits  {layer.BitsPerPixel,6:0.000} bpp  " +
                              $"{psnr,6:0.00} dB  at {clock.ElapsedMilliseconds,6} ms  -> {path}");
        }
    }
    return 0;
}
catch (Exception ex) when (ex is CompassFormatException or ArgumentException or FormatException or IOException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

static OnnxCompassModel? LoadDefaultModel()
{
    try
    {
        return OnnxCompassModel.LoadDefault();
    }
    catch (InvalidOperationException ex)
    {
        // This build embeds no default model, or the app has no ONNX Runtime natives: the message says which.
        Console.Error.WriteLine($"error: {ex.Message}");
        return null;
    }
}
