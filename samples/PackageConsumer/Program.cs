// Package consumer test: uses Compass.Onnx (and so Compass.Core) as a NuGet package, encodes an image
// into a 3-layer stream, decodes it, checks layer count, sizes, PSNR and that progressive and whole-stream
// decoding agree, and writes the stream for `compass info`. Exit code 0 = pass, 1 = a check failed,
// 2 = no model. Usage: PackageConsumer <output.cmps>
//   COMPASS_MODEL=<bundle folder or zip>  use that model instead of the embedded default (CPU provider)
//   COMPASS_MIN_PSNR=<dB>                 lowest acceptable PSNR of the last layer (default 20 for the
//                                          embedded model; 0 for COMPASS_MODEL, e.g. a random-init bundle)
//   COMPASS_EXPECT_VERSION=<version>      the Compass.Onnx package version this run must be using
using System.Globalization;
using System.Reflection;
using Compass;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Onnx;
using PackageConsumer;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string streamPath = args.Length > 0 ? args[0] : "consumer.cmps";
string? modelPath = Environment.GetEnvironmentVariable("COMPASS_MODEL");
int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"  {(ok ? "ok  " : "FAIL")} {what}");
    if (!ok) failures++;
}

OnnxCompassModel model;
try
{
    model = string.IsNullOrEmpty(modelPath)
        ? OnnxCompassModel.LoadDefault()
        : OnnxCompassModel.Load(modelPath, new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine($"consumer: no model: {ex.Message} Set COMPASS_MODEL=<bundle> to test with another model.");
    return 2;
}
using (model)
{
    double minPsnr = double.Parse(Environment.GetEnvironmentVariable("COMPASS_MIN_PSNR") ?? (modelPath is null ? "20" : "0"));
    string? used = typeof(OnnxCompassModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
    Console.WriteLine($"consumer: model {model.Description} on {model.ActiveProvider}; Compass.Onnx {used}");
    if (Environment.GetEnvironmentVariable("COMPASS_EXPECT_VERSION") is { Length: > 0 } expected)
        Check(used is not null && (used == expected || used.StartsWith(expected + "+", StringComparison.Ordinal)), $"uses Compass.Onnx {expected}");

    // A 256x170 Kodak crop keeps the run short on a 2-core CI machine.
    using var image = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "kodim23.png"));
    image.Mutate(x => x.Resize(256, 170));
    var plan = LayerPlan.FromScales(image.Width, image.Height, 0.25, 0.5, 1);

    byte[] stream = new ScalableEncoder(model).Encode(image, plan);
    File.WriteAllBytes(streamPath, stream);
    Console.WriteLine($"consumer: encoded {image.Width}x{image.Height} as plan {plan}: {stream.Length} bytes -> {streamPath}");

    var references = ScalableEncoder.CreateLayerImages(image.ToPixelBuffer(), plan);
    using var decoded = new ScalableDecoder(model).Decode(stream);
    Check(decoded.Layers.Count == 3 && plan.Count == 3, $"3 layers decoded (plan {plan.Count}, decoded {decoded.Layers.Count})");
    Check(decoded.Header.Plan == plan, $"header plan {decoded.Header.Plan} equals the encoded plan");
    for (int k = 0; k < decoded.Layers.Count; k++)
    {
        var layer = decoded.Layers[k];
        Check(layer.Pixels.Width == plan[k].Width && layer.Pixels.Height == plan[k].Height, $"layer {k} is {plan[k]} (got {layer.Pixels.Width}x{layer.Pixels.Height})");
        double psnr = ImageMetrics.Psnr(references[k], layer.Pixels);
        bool last = k == decoded.Layers.Count - 1;
        Check(!double.IsNaN(psnr) && (!last || psnr >= minPsnr), $"layer {k} PSNR {psnr:0.00} dB{(last ? $" (>= {minPsnr} dB)" : "")}");
    }

    // Progressive decoding gives the same pixels as whole-stream decoding, layer by layer.
    int index = 0;
    await foreach (var layer in new ScalableDecoder(model).DecodeProgressivelyAsync(new MemoryStream(stream)))
    {
        using (layer)
            Check(index < decoded.Layers.Count && ImageMetrics.Mse(layer.Pixels, decoded.Layers[index].Pixels) == 0, $"progressive layer {index} equals the whole-stream decode");
        index++;
    }
    using var thumbnail = new ScalableDecoder(model).Decode(stream, new DecodeOptions { MaxLayers = 1 });
    Check(thumbnail.Layers.Count == 1 && thumbnail.Layers[0].Size == plan[0], "MaxLayers = 1 decodes only the base layer");
    image.SaveAsPng(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(streamPath))!, "photo.png"));
}

// The README's example needs the embedded default model; with COMPASS_MODEL it is only compiled.
if (string.IsNullOrEmpty(modelPath))
{
    var folder = Directory.CreateTempSubdirectory("compass-readme-");
    string previous = Environment.CurrentDirectory;
    try
    {
        // The same 256x170 image, so that the example's encode stays short.
        File.Copy(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(streamPath))!, "photo.png"), Path.Combine(folder.FullName, "photo.png"));
        Environment.CurrentDirectory = folder.FullName;
        ReadmeExample.Run();
        Check(Enumerable.Range(0, 3).All(k => File.Exists($"layer{k}.png")), "README example wrote layer0..2.png");
    }
    finally
    {
        Environment.CurrentDirectory = previous;
        folder.Delete(recursive: true);
    }
}
else
{
    Console.WriteLine("  skip README example run (it loads the embedded default model; COMPASS_MODEL is set)");
}

Console.WriteLine(failures == 0 ? "consumer: all checks passed" : $"consumer: {failures} check(s) failed");
return failures == 0 ? 0 : 1;
