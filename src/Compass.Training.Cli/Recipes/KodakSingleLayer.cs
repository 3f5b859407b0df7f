using Compass.Imaging;
using Compass.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Training.Cli.Recipes;

/// <summary>One image's single-layer result: real stream bytes and the decoded PSNR.</summary>
internal sealed record ImagePoint(string Image, int Width, int Height, long Bytes, double Bpp, double Psnr);

/// <summary>
/// Codes every image of a folder as a one-layer stream at its original size with a bundle's base codec
/// (real bitstreams, headers included), decodes it, and measures bpp and PSNR (RGB, 8-bit): the
/// single-layer point that recipe benchmarks compare with classic codecs.
/// </summary>
internal static class KodakSingleLayer
{
    public static IReadOnlyList<ImagePoint> Evaluate(string bundle, string folder, int count, TextWriter progress, CancellationToken cancel)
    {
        using var model = OnnxCompassModel.Load(bundle, new OnnxRuntimeOptions { Provider = Compass.Onnx.ExecutionProvider.Cpu });
        var encoder = new ScalableEncoder(model);
        var decoder = new ScalableDecoder(model);
        var images = Directory.EnumerateFiles(folder)
            .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Take(count).ToList();
        if (images.Count == 0) throw new DirectoryNotFoundException($"No PNG images in '{folder}'.");
        var points = new List<ImagePoint>();
        foreach (var path in images)
        {
            cancel.ThrowIfCancellationRequested();
            using var image = Image.Load<Rgb24>(path);
            var plan = LayerPlan.FromSizes(new LayerSize(image.Width, image.Height));
            var stream = encoder.Encode(image, plan, cancellationToken: cancel);
            using var decoded = decoder.Decode(stream, cancellationToken: cancel);
            double psnr = ImageMetrics.Psnr(image, decoded.Layers[^1].Image);
            var point = new ImagePoint(Path.GetFileName(path), image.Width, image.Height, stream.Length,
                stream.Length * 8.0 / ((long)image.Width * image.Height), psnr);
            points.Add(point);
            progress.WriteLine(FormattableString.Invariant($"  {point.Image}: {point.Bpp:F4} bpp  {point.Psnr:F2} dB"));
        }
        return points;
    }
}
