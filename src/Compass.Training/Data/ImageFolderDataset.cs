using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace Compass.Training.Data;

/// <summary>
/// The training images of a folder (PNG and JPEG, searched recursively, read in place), decoded
/// once into memory as RGB bytes, and served as random crops with random horizontal flips.
/// </summary>
/// <remarks>
/// <para>The constructor only lists the files and fails at once on a missing or empty folder. The
/// first batch request decodes every file in parallel; an unreadable file is logged and left out
/// (the run goes on), and so is an image smaller than the crop unless
/// <see cref="SmallImagePolicy.Upscale"/> is chosen.</para>
/// <para>Sampling is a pure function of (seed, step, index): sample g = step * batch + index is
/// position g mod N of epoch g div N, whose order is a shuffle seeded by (seed, epoch); its crop
/// position and flip come from a generator seeded by (seed, step, index).</para>
/// </remarks>
public sealed class ImageFolderDataset
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    private readonly ILogger _logger;
    private readonly object _loadLock = new();
    private DecodedImage[]? _images;
    private (long Epoch, int[] Order)? _permutation;

    /// <summary>Lists the image files of <paramref name="folder"/>.</summary>
    /// <param name="folder">The folder to search recursively.</param>
    /// <param name="cropSize">Side of the square crops, at least 16.</param>
    /// <param name="smallImages">What to do with images smaller than the crop.</param>
    /// <param name="logger">Receives skipped files and load statistics.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder holds no PNG or JPEG file.</exception>
    public ImageFolderDataset(string folder, int cropSize, SmallImagePolicy smallImages = SmallImagePolicy.Skip, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (cropSize < 16) throw new ArgumentOutOfRangeException(nameof(cropSize), cropSize, "The crop size must be at least 16.");
        Folder = Path.GetFullPath(folder);
        CropSize = cropSize;
        SmallImages = smallImages;
        _logger = logger ?? NullLogger.Instance;
        if (!Directory.Exists(Folder))
            throw new DirectoryNotFoundException($"Training data folder '{Folder}' does not exist.");
        Files = Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (Files.Count == 0)
            throw new InvalidDataException($"Training data folder '{Folder}' holds no PNG or JPEG files (searched recursively).");
    }

    /// <summary>The folder, as a full path.</summary>
    public string Folder { get; }

    /// <summary>Side of the square crops.</summary>
    public int CropSize { get; }

    /// <summary>The policy for images smaller than the crop.</summary>
    public SmallImagePolicy SmallImages { get; }

    /// <summary>Every candidate file found, in ordinal order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Number of usable images (decodes them on first use).</summary>
    public int Count => EnsureLoaded().Length;

    /// <summary>The usable files, in the order sampling indexes them (decodes on first use).</summary>
    public IReadOnlyList<string> UsableFiles => EnsureLoaded().Select(i => i.Path).ToArray();

    /// <summary>Decodes every file now (otherwise the first batch does it).</summary>
    public void Load() => EnsureLoaded();

    /// <summary>
    /// The crops of training step <paramref name="step"/>: a float tensor <c>[B, 3, crop, crop]</c> in [0, 1].
    /// </summary>
    public Tensor SampleCrops(long seed, long step, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step));
        var images = EnsureLoaded();
        int c = CropSize, plane = c * c;
        var data = new float[batchSize * 3 * plane];
        for (int i = 0; i < batchSize; i++)
        {
            long g = step * batchSize + i;
            var image = images[ImageAt(seed, g, images.Length)];
            var rng = new StepRandom(seed, step, RandomStream.Crop, i);
            int top = rng.NextInt(image.Height - c + 1);
            int left = rng.NextInt(image.Width - c + 1);
            bool flip = rng.NextInt(2) == 1;
            CopyCrop(image, top, left, flip, data.AsSpan(i * 3 * plane, 3 * plane), c);
        }
        return tensor(data, [batchSize, 3, c, c]);
    }

    /// <summary>Index into the usable images of global sample <paramref name="g"/>: a shuffle per epoch.</summary>
    private int ImageAt(long seed, long g, int n)
    {
        long epoch = g / n;
        var perm = _permutation;
        if (perm is null || perm.Value.Epoch != epoch)
        {
            var order = Enumerable.Range(0, n).ToArray();
            var rng = new StepRandom(seed, epoch, RandomStream.Epoch);
            for (int i = n - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
            perm = (epoch, order);
            _permutation = perm;
        }
        return perm.Value.Order[(int)(g % n)];
    }

    private static void CopyCrop(DecodedImage image, int top, int left, bool flip, Span<float> dst, int c)
    {
        const float Scale = 1f / 255f;
        int plane = c * c;
        var src = image.Rgb;
        for (int y = 0; y < c; y++)
        {
            int row = ((top + y) * image.Width + left) * 3;
            for (int x = 0; x < c; x++)
            {
                int s = row + 3 * (flip ? c - 1 - x : x);
                int d = y * c + x;
                dst[d] = src[s] * Scale;
                dst[plane + d] = src[s + 1] * Scale;
                dst[2 * plane + d] = src[s + 2] * Scale;
            }
        }
    }

    private DecodedImage[] EnsureLoaded()
    {
        var images = _images;
        if (images is not null) return images;
        lock (_loadLock)
        {
            if (_images is not null) return _images;
            var started = DateTime.UtcNow;
            var decoded = new DecodedImage?[Files.Count];
            int unreadable = 0, tooSmall = 0, upscaled = 0;
            Parallel.For(0, Files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                var outcome = Decode(Files[i], out decoded[i]);
                switch (outcome)
                {
                    case DecodeOutcome.Unreadable: Interlocked.Increment(ref unreadable); break;
                    case DecodeOutcome.TooSmall: Interlocked.Increment(ref tooSmall); break;
                    case DecodeOutcome.Upscaled: Interlocked.Increment(ref upscaled); break;
                }
            });
            // Keep file order (not completion order) so sampling does not depend on thread timing.
            images = decoded.Where(d => d is not null).Select(d => d!).ToArray();
            long bytes = images.Sum(i => (long)i.Rgb.Length);
            _logger.LogInformation(
                "Loaded {Count} of {Files} training images from {Folder} in {Seconds:F1} s ({MiB:F0} MiB): {Unreadable} unreadable, {TooSmall} smaller than {Crop}px skipped, {Upscaled} upscaled",
                images.Length, Files.Count, Folder, (DateTime.UtcNow - started).TotalSeconds, bytes / 1048576.0, unreadable, tooSmall, CropSize, upscaled);
            if (images.Length == 0)
                throw new InvalidDataException(
                    $"None of the {Files.Count} image files in '{Folder}' is usable ({unreadable} unreadable, {tooSmall} smaller than the {CropSize}px crop).");
            _images = images;
            return images;
        }
    }

    private enum DecodeOutcome { Ok, Unreadable, TooSmall, Upscaled }

    private DecodeOutcome Decode(string path, out DecodedImage? result)
    {
        result = null;
        Image<Rgb24> image;
        try
        {
            image = Image.Load<Rgb24>(path);
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Skipping unreadable training image {Path}: {Reason}", path, ex.Message);
            return DecodeOutcome.Unreadable;
        }
        using (image)
        {
            var outcome = DecodeOutcome.Ok;
            if (image.Width < CropSize || image.Height < CropSize)
            {
                if (SmallImages == SmallImagePolicy.Skip)
                {
                    _logger.LogDebug("Skipping {Path}: {Width}x{Height} is smaller than the {Crop}px crop", path, image.Width, image.Height, CropSize);
                    return DecodeOutcome.TooSmall;
                }
                double f = (double)CropSize / Math.Min(image.Width, image.Height);
                image.Mutate(m => m.Resize(Math.Max(CropSize, (int)Math.Ceiling(image.Width * f)),
                    Math.Max(CropSize, (int)Math.Ceiling(image.Height * f)), KnownResamplers.Bicubic));
                outcome = DecodeOutcome.Upscaled;
            }
            var rgb = new byte[image.Width * image.Height * 3];
            image.CopyPixelDataTo(rgb);
            result = new DecodedImage(path, image.Width, image.Height, rgb);
            return outcome;
        }
    }

    private sealed record DecodedImage(string Path, int Width, int Height, byte[] Rgb);
}
