using System.CommandLine;
using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Compass.Training.Cli;

/// <summary>
/// <c>compass-train crop-pack</c>: writes random square crops of a training folder as JPEG files into a folder,
/// until a size budget is used: a compact training set to carry where the original photos cannot go (a GPU
/// machine reached through a size-limited copy). <c>train --data</c> reads the folder like any other.
/// </summary>
/// <remarks>
/// Crops go round the images in a shuffled order, one crop per image per round, so every image is represented
/// before any is repeated; each crop's position (and the order) follows from <c>--seed</c>. Images smaller than
/// the crop are skipped. JPEG at high quality with full-resolution chroma (4:4:4) keeps the crops close to the
/// originals at a fifth to a tenth of their PNG size.
/// </remarks>
internal static class CropPackCommand
{
    public static Command Create(TrainCliContext cli)
    {
        var data = new Option<string>("--data") { Description = "Training image folder (PNG/JPEG, searched recursively).", Required = true, HelpName = "folder" };
        var outDir = new Option<string>("--out") { Description = "Folder to write the crops into (created; must be empty or absent).", Required = true, HelpName = "folder" };
        var crop = new Option<int>("--crop") { Description = "Side of the square crops, pixels.", DefaultValueFactory = _ => 256 };
        var quality = new Option<int>("--jpeg-quality") { Description = "JPEG quality 50..100 (4:4:4 chroma).", DefaultValueFactory = _ => 95 };
        var budget = new Option<double>("--max-mib") { Description = "Stop before the crops exceed this many MiB in all.", DefaultValueFactory = _ => 16 };
        var maxCount = new Option<int?>("--max-count") { Description = "Stop after this many crops (default: only the size budget)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the image order and crop positions.", DefaultValueFactory = _ => 1 };
        var command = new Command("crop-pack", "Write random square JPEG crops of a training folder into a folder, up to a size budget (a compact, portable training set).");
        foreach (var o in new Option[] { data, outDir, crop, quality, budget, maxCount, seed }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            int side = parse.GetValue(crop), q = parse.GetValue(quality);
            double mib = parse.GetValue(budget);
            var limit = parse.GetValue(maxCount);
            if (side < 16) return cli.Fail("--crop must be at least 16.");
            if (q is < 50 or > 100) return cli.Fail("--jpeg-quality must be 50..100.");
            if (!(mib > 0 && double.IsFinite(mib))) return cli.Fail("--max-mib must be positive.");
            if (limit is < 1) return cli.Fail("--max-count must be positive.");
            var source = parse.GetValue(data)!;
            var target = parse.GetValue(outDir)!;
            if (!Directory.Exists(source)) return cli.Fail($"training data folder '{source}' does not exist.");
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()) return cli.Fail($"'{target}' is not empty.");
            var files = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg")
                .Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) return cli.Fail($"'{source}' holds no PNG or JPEG files.");
            Directory.CreateDirectory(target);
            return Write(cli, files, target, side, q, (long)(mib * 1048576), limit ?? int.MaxValue, parse.GetValue(seed));
        });
        return command;
    }

    private static int Write(TrainCliContext cli, string[] files, string target, int side, int quality, long budgetBytes, int maxCount, int seed)
    {
        var random = new Random(seed);
        var order = files.ToArray();
        random.Shuffle(order);
        var encoder = new JpegEncoder { Quality = quality, ColorType = JpegColorType.YCbCrRatio444 };
        var usable = new List<string>(order);
        long total = 0;
        int written = 0;
        var sources = new HashSet<string>(StringComparer.Ordinal);
        bool full = false;
        for (int round = 0; !full && usable.Count > 0; round++)
        {
            foreach (var file in usable.ToArray())
            {
                Image<Rgb24> image;
                try
                {
                    image = Image.Load<Rgb24>(file);
                }
                catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or IOException)
                {
                    cli.Error.WriteLine($"{TrainCliContext.Name}: skipping unreadable {file}: {ex.Message}");
                    usable.Remove(file);
                    continue;
                }
                using (image)
                {
                    if (image.Width < side || image.Height < side)
                    {
                        usable.Remove(file);
                        continue;
                    }
                    int left = random.Next(image.Width - side + 1), top = random.Next(image.Height - side + 1);
                    image.Mutate(m => m.Crop(new Rectangle(left, top, side, side)));
                    using var bytes = new MemoryStream();
                    image.SaveAsJpeg(bytes, encoder);
                    if (total + bytes.Length > budgetBytes || written >= maxCount)
                    {
                        full = true;
                        break;
                    }
                    var name = string.Create(CultureInfo.InvariantCulture, $"{written:D5}-{Path.GetFileNameWithoutExtension(file)}.jpg");
                    File.WriteAllBytes(Path.Combine(target, name), bytes.ToArray());
                    total += bytes.Length;
                    written++;
                    sources.Add(file);
                }
            }
        }
        cli.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"crop-pack: {written} crops of {side}x{side} (JPEG q{quality} 4:4:4) from {sources.Count} of {files.Length} images, {total / 1048576.0:F1} MiB, in {target}"));
        return written > 0 ? ExitCodes.Success : cli.Fail($"no crop written: no image is at least {side}x{side}, or the budget is below one crop.");
    }
}
