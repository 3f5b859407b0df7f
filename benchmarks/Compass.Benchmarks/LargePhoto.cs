using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Compass.Benchmarks;

/// <summary>
/// <c>large-photo OUT.png [WIDTHxHEIGHT] [DATA_DIR]</c>: writes a camera-size test photo, a mosaic of 4 x 4 photos
/// from the shared training data, each scaled (bicubic) to cover its cell and centre-cropped. Real photo content at
/// every scale (edges, textures, flat sky), unlike an upscaled Kodak image, which is unusually smooth and codes
/// cheaply. Deterministic: the same inputs give the same PNG. Written outside the repository (the training images
/// are not redistributed with it).
/// </summary>
internal static class LargePhoto
{
    private const int Grid = 4;

    /// <summary>Runs the command.</summary>
    public static void Run(string[] args)
    {
        if (args.Length < 1)
            throw new ArgumentException("usage: large-photo OUT.png [WIDTHxHEIGHT (default 6000x4000)] [DATA_DIR (default ../shared/data/train)]");
        var size = args.Length > 1 ? args[1].Split('x') : ["6000", "4000"];
        int width = int.Parse(size[0], System.Globalization.CultureInfo.InvariantCulture);
        int height = int.Parse(size[1], System.Globalization.CultureInfo.InvariantCulture);
        string data = args.Length > 2 ? args[2] : Path.Combine("..", "shared", "data", "train");
        // Large photos only (the 481x321 BSDS images would be upscaled 4x and look synthetic): Urban100 and Sun-Hays.
        var sources = new[] { "urban100", "sunhays80" }
            .Select(d => Path.Combine(data, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "*.png").Order(StringComparer.Ordinal))
            .ToList();
        if (sources.Count < Grid * Grid)
            throw new ArgumentException($"Need {Grid * Grid} PNG photos under {data}/urban100 or {data}/sunhays80; found {sources.Count}.");

        using var mosaic = new Image<Rgb24>(width, height);
        for (int k = 0; k < Grid * Grid; k++)
        {
            // Spread the picks over the sorted list so that both sets (city and landscape) appear.
            string file = sources[k * sources.Count / (Grid * Grid)];
            int x0 = (int)((long)width * (k % Grid) / Grid), x1 = (int)((long)width * ((k % Grid) + 1) / Grid);
            int y0 = (int)((long)height * (k / Grid) / Grid), y1 = (int)((long)height * ((k / Grid) + 1) / Grid);
            using var photo = Image.Load<Rgb24>(file);
            photo.Mutate(c => c.Resize(new ResizeOptions
            {
                Size = new Size(x1 - x0, y1 - y0),
                Mode = ResizeMode.Crop,
                Sampler = KnownResamplers.Bicubic,
            }));
            var origin = new Point(x0, y0);
            mosaic.Mutate(c => c.DrawImage(photo, origin, 1f));
        }
        mosaic.Save(args[0], new PngEncoder { CompressionLevel = PngCompressionLevel.BestSpeed });
        Console.WriteLine($"{args[0]}: {width}x{height}, {Grid * Grid} photos from {data}");
    }
}
