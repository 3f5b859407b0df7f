using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Compass.Training.Data;

/// <summary>
/// A few fixed validation crops (by default the centre 256x256 of the first 4 Kodak images by name),
/// identical in every run and every resume, so validation numbers are comparable across runs.
/// </summary>
public sealed class ValidationSet
{
    private readonly byte[][] _crops;

    private ValidationSet(string folder, IReadOnlyList<string> files, int cropSize, byte[][] crops)
    {
        Folder = folder;
        Files = files;
        CropSize = cropSize;
        _crops = crops;
    }

    /// <summary>The folder the crops come from.</summary>
    public string Folder { get; }

    /// <summary>The files used, in order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Side of the square crops.</summary>
    public int CropSize { get; }

    /// <summary>Loads the centre crops of the first <paramref name="count"/> images (ordinal order) of a folder.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">Fewer than <paramref name="count"/> readable images of at least the crop size.</exception>
    public static ValidationSet Load(string folder, int count = 4, int cropSize = 256, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count));
        if (cropSize < 16) throw new ArgumentOutOfRangeException(nameof(cropSize));
        logger ??= NullLogger.Instance;
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Validation folder '{folder}' does not exist.");
        var files = new List<string>();
        var crops = new List<byte[]>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                     .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg")
                     .Order(StringComparer.Ordinal))
        {
            if (crops.Count == count) break;
            try
            {
                using var image = Image.Load<Rgb24>(file);
                if (image.Width < cropSize || image.Height < cropSize) continue;
                var rgb = new byte[image.Width * image.Height * 3];
                image.CopyPixelDataTo(rgb);
                int top = (image.Height - cropSize) / 2, left = (image.Width - cropSize) / 2;
                var crop = new byte[cropSize * cropSize * 3];
                for (int y = 0; y < cropSize; y++)
                    Array.Copy(rgb, ((top + y) * image.Width + left) * 3, crop, y * cropSize * 3, cropSize * 3);
                crops.Add(crop);
                files.Add(file);
            }
            catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or IOException)
            {
                logger.LogWarning("Skipping unreadable validation image {Path}: {Reason}", file, ex.Message);
            }
        }
        if (crops.Count < count)
            throw new InvalidDataException($"Validation folder '{folder}' has {crops.Count} readable images of at least {cropSize}x{cropSize}; {count} are needed.");
        return new ValidationSet(folder, files, cropSize, crops.ToArray());
    }

    /// <summary>
    /// The validation batch: every crop, layers at the top of each range of <paramref name="scales"/>
    /// (<see cref="ScaleSampler.Reference"/>), made with <paramref name="downscale"/>. The caller disposes it.
    /// </summary>
    public TrainingBatch CreateBatch(ScaleSampler scales, Downscaler? downscale = null)
    {
        ArgumentNullException.ThrowIfNull(scales);
        downscale ??= Downscalers.BicubicAntialias;
        int c = CropSize, plane = c * c;
        var data = new float[_crops.Length * 3 * plane];
        for (int i = 0; i < _crops.Length; i++)
        {
            var src = _crops[i];
            int o = i * 3 * plane;
            for (int p = 0; p < plane; p++)
            {
                data[o + p] = src[3 * p] / 255f;
                data[o + plane + p] = src[3 * p + 1] / 255f;
                data[o + 2 * plane + p] = src[3 * p + 2] / 255f;
            }
        }
        using var full = tensor(data, [_crops.Length, 3, c, c]);
        var layers = scales.Reference(c, c).Select(s => downscale(full, s.Height, s.Width)).ToArray();
        return new TrainingBatch(-1, layers);
    }
}
