using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Compass.Benchmarks;

/// <summary>The images the end-to-end benchmarks code: a Kodak image, and a 3840x2160 image made from it.</summary>
internal static class BenchmarkImages
{
    /// <summary>The Kodak plan of the performance targets.</summary>
    public const string KodakPlan = "192x128,384x256,768x512";

    /// <summary>A 3-layer plan ending at 3840x2160 (the same ratios as the Kodak plan, 2x per layer).</summary>
    public const string UhdPlan = "960x540,1920x1080,3840x2160";

    /// <summary>kodim01.png from the shared data when present, else the image bundled with the progressive-decoding sample.</summary>
    public static string KodakPath()
    {
        var dirs = new List<DirectoryInfo>();
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent) dirs.Add(dir);
        foreach (var dir in dirs)
        {
            var shared = Path.Combine(dir.FullName, "shared", "data", "kodak", "kodim01.png");
            if (File.Exists(shared)) return shared;
        }
        foreach (var dir in dirs)
        {
            var sample = Path.Combine(dir.FullName, "samples", "ProgressiveDecoding", "kodim23.png");
            if (File.Exists(sample)) return sample;
        }
        throw new FileNotFoundException("Neither shared/data/kodak/kodim01.png nor samples/ProgressiveDecoding/kodim23.png was found above " + AppContext.BaseDirectory);
    }

    /// <summary>The Kodak image, 768x512.</summary>
    public static Image<Rgb24> LoadKodak() => Image.Load<Rgb24>(KodakPath());

    /// <summary>A deterministic 3840x2160 image: the Kodak image upscaled 5x (bicubic) and cropped to 3840x2160.</summary>
    public static Image<Rgb24> CreateUhd()
    {
        var image = LoadKodak();
        image.Mutate(c => c.Resize(image.Width * 5, image.Height * 5, KnownResamplers.Bicubic).Crop(new Rectangle(0, 0, 3840, 2160)));
        return image;
    }
}
