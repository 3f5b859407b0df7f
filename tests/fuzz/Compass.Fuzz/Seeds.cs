using Compass.Bundles;
using Compass.Determinism;
using Compass.EntropyCoding;
using Compass.Imaging;
using Compass.Pipeline;
using Compass.Testing;

namespace Compass.Fuzz;

/// <summary>Writes small valid inputs for every target: the starting corpus (tests/fuzz/corpus/&lt;target&gt;/seed-*).</summary>
internal static class Seeds
{
    public static void Write(string root)
    {
        void Put(string target, string name, byte[] bytes)
        {
            var dir = Path.Combine(root, target);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, "seed-" + name), bytes);
        }

        // Input images in every format the tool reads: small, some with alpha, gray or several frames.
        foreach (var (name, bytes) in ImageSeeds()) Put("image", name, bytes);

        // Multi-layer streams from the fake model (both qualities), for the reader and the decoder.
        using (var model = new FakeModel())
        {
            var encoder = new ScalableEncoder(model);
            foreach (var (plan, quality) in new[] { ("16x16", 1), ("40x30,64x48", 2), ("24x20,40x30,70x33", 1) })
            {
                var image = TestImage(200, 150);
                var bytes = encoder.Encode(image, LayerPlan.Parse(plan), new EncodeOptions { Quality = new Quality(quality) });
                Put("bitstream", $"{plan.Replace(',', '_')}-q{quality}", bytes);
                Put("decoder", $"{plan.Replace(',', '_')}-q{quality}", [.. bytes, (byte)1]);
            }

            // The header flags at work: a metadata chunk after the header, alpha planes in the layers, a gray image.
            var rgba = TestImage(80, 60).ConvertTo(PixelLayout.Rgba32);
            for (int i = 3; i < rgba.Pixels.Length; i += 4) rgba.Pixels[i] = (byte)(i % 7 == 0 ? 0 : 200 + (i % 50));
            var metadata = new ImageMetadata { IccProfile = [.. Enumerable.Range(0, 300).Select(i => (byte)i)], Exif = [.. "MM\0*\0\0\0\x08\0\0"u8], Xmp = [.. "<x:xmpmeta/>"u8] };
            var flagged = encoder.Encode(rgba, LayerPlan.Parse("40x30,80x60"), new EncodeOptions { Quality = new Quality(1), Metadata = metadata });
            Put("bitstream", "alpha-metadata", flagged);
            Put("decoder", "alpha-metadata", [.. flagged, (byte)1]);
            // Three layers with alpha and an EXIF-only chunk (one table entry), at another quality.
            var exifOnly = encoder.Encode(rgba, LayerPlan.Parse("24x18,48x36,80x60"), new EncodeOptions { Quality = new Quality(2), Metadata = new ImageMetadata { Exif = metadata.Exif } });
            Put("bitstream", "alpha-exif-3layers", exifOnly);
            Put("decoder", "alpha-exif-3layers", [.. exifOnly, (byte)1]);
            var gray = TestImage(48, 32);
            for (int i = 0; i < gray.Pixels.Length; i += 3) gray.Pixels[i + 1] = gray.Pixels[i + 2] = gray.Pixels[i];
            var grayStream = encoder.Encode(gray, LayerPlan.Parse("24x16,48x32"), new EncodeOptions { Quality = new Quality(2) });
            Put("bitstream", "gray", grayStream);
            Put("decoder", "gray", [.. grayStream, (byte)1]);
        }

        // rANS strings: [table set][count LE16][index bytes][rANS bytes], Gaussian and factorized tables.
        var rng = new Random(7);
        var gaussian = GaussianTableBuilder.Build(GaussianTableBuilder.DefaultScaleTable());
        var factorized = new FakeNetworks().GetTables(CodecRole.Base).ZTables;
        foreach (var (set, tables) in new[] { (0, gaussian), (1, factorized) })
        {
            foreach (int n in new[] { 0, 1, 7, 64, 300 })
            {
                var indexBytes = new byte[n];
                rng.NextBytes(indexBytes);
                var indexes = indexBytes.Select(b => b % tables.Count).ToArray();
                var symbols = indexes.Select(t => rng.Next(-3, 4) * (1 + t / 16) + (rng.Next(50) == 0 ? 40 : 0)).ToArray();
                var rans = RansEncoder.Encode(symbols, indexes, tables);
                Put("rans", $"t{set}-n{n}", [(byte)set, (byte)n, (byte)(n >> 8), .. indexBytes, .. rans]);
            }
        }

        // Fixed-point h_s blobs (FixedPointQuantizer) for two small shapes.
        var blobs = new Dictionary<string, byte[]>();
        foreach (var (n, m) in new[] { (2, 4), (3, 2) })
        {
            var blob = FixedPointQuantizer.Build(Weights(n, m, rng), GaussianTableBuilder.DefaultScaleTable(), ScaleTableIndexer.DefaultLowerBound);
            blobs[$"{n}x{m}"] = blob;
            Put("hyperscales", $"n{n}-m{m}", blob);
        }

        // entropy.json of the fake model's tables.
        var fake = new FakeNetworks().GetTables(CodecRole.Base);
        // A 3-scale y table keeps the file small (the 64-scale default is 140 KB, slow to mutate).
        float[] scaleTable = [0.11f, 1f, 5f];
        var entropyJson = EntropyTablesFile.Write(fake.ZTables, fake.ZMedians, GaussianTableBuilder.Build(scaleTable), scaleTable);
        Put("tables", "fake", entropyJson);

        // A small valid bundle zip holding the entropy tables and a blob.
        var files = new Dictionary<string, byte[]>
        {
            ["bl/entropy.json"] = entropyJson,
            ["bl/" + FixedPointHyperScales.BundleFileName] = blobs["3x2"],
            ["el/net.onnx"] = [1, 2, 3],
        };
        var manifest = ModelBundleWriter.CreateManifest("fuzz", "tiny", [1], [0.01], files);
        using (var zip = new MemoryStream())
        {
            ModelBundleWriter.WriteZip(zip, manifest, files);
            Put("bundle", "small", zip.ToArray());
        }
    }

    private static HyperScaleWeights Weights(int n, int m, Random rng)
    {
        int mid = m * 3 / 2;
        float[] U(int count, double gain) => Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * gain)).ToArray();
        return new HyperScaleWeights(
            n, m,
            U(m * n * 25, 0.5), U(m, 0.1),
            U(mid * m * 25, 0.3), U(mid, 0.1),
            U(m * mid * 9, 0.3), U(m, 0.5).Select(b => b + 1.5f).ToArray(),
            Enumerable.Repeat(-6.0, n).ToArray(), Enumerable.Repeat(6.0, n).ToArray());
    }

    private static IEnumerable<(string Name, byte[] Bytes)> ImageSeeds()
    {
        using var rgb = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(12, 9);
        for (int y = 0; y < 9; y++)
            for (int x = 0; x < 12; x++)
                rgb[x, y] = new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)(x * 20), (byte)(y * 28), (byte)((x ^ y) * 15));
        byte[] Save(SixLabors.ImageSharp.Image image, Action<SixLabors.ImageSharp.Image, Stream> save)
        {
            using var stream = new MemoryStream();
            save(image, stream);
            return stream.ToArray();
        }
        yield return ("rgb.png", Save(rgb, (i, s) => SixLabors.ImageSharp.ImageExtensions.SaveAsPng(i, s)));
        yield return ("rgb.jpg", Save(rgb, (i, s) => SixLabors.ImageSharp.ImageExtensions.SaveAsJpeg(i, s)));
        yield return ("rgb.bmp", Save(rgb, (i, s) => SixLabors.ImageSharp.ImageExtensions.SaveAsBmp(i, s)));
        yield return ("rgb.tiff", Save(rgb, (i, s) => SixLabors.ImageSharp.ImageExtensions.SaveAsTiff(i, s)));
        yield return ("rgb.tga", Save(rgb, (i, s) => SixLabors.ImageSharp.ImageExtensions.SaveAsTga(i, s)));
        yield return ("rgb.webp", Save(rgb, (i, s) => SixLabors.ImageSharp.ImageExtensions.SaveAsWebp(i, s)));
        using var rgba = rgb.CloneAs<SixLabors.ImageSharp.PixelFormats.Rgba32>();
        byte[] rgbaPng = Save(rgba, (i, s) => SixLabors.ImageSharp.ImageExtensions.SaveAsPng(i, s));
        yield return ("rgba.png", rgbaPng);
        // The same with an ICC profile, EXIF (orientation 6) and XMP in the file, for the metadata readers.
        byte[] exif = [.. "MM\0*\0\0\0\x08\0\x01"u8, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];
        var fileMetadata = new ImageMetadata { IccProfile = [.. Enumerable.Range(0, 300).Select(i => (byte)i)], Exif = exif, Xmp = [.. "<x:xmpmeta/>"u8] };
        yield return ("rgba-metadata.png", ImageFileMetadata.Embed(rgbaPng, fileMetadata, 12, 9));
        using var gray = rgb.CloneAs<SixLabors.ImageSharp.PixelFormats.L8>();
        yield return ("gray.png", Save(gray, (i, s) => SixLabors.ImageSharp.ImageExtensions.SaveAsPng(i, s)));
        using var animated = rgb.Clone();
        using (var frame = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(12, 9, new SixLabors.ImageSharp.PixelFormats.Rgb24(200, 10, 10)))
        {
            animated.Frames.AddFrame(frame.Frames.RootFrame);
            animated.Frames.AddFrame(frame.Frames.RootFrame);
        }
        yield return ("anim3.gif", Save(animated, (i, s) => SixLabors.ImageSharp.ImageExtensions.SaveAsGif(i, s)));
    }

    private static PixelBuffer TestImage(int width, int height)
    {
        var image = new PixelBuffer(width, height);
        for (int y = 0; y < height; y++)
        {
            var row = image.GetRow(y);
            for (int x = 0; x < width; x++)
            {
                row[3 * x] = (byte)(128 + 100 * Math.Sin(x / 23.0));
                row[3 * x + 1] = (byte)(x * y % 251);
                row[3 * x + 2] = (byte)(255 * y / height);
            }
        }
        return image;
    }
}
