using Compass.Imaging;
using Compass.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Cli.Tests;

/// <summary>The tool's input images are untrusted: limits from the header, first frame only, one clear error.</summary>
public sealed class CliInputImageTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static void AssertOneError(CliRun run, string contains)
    {
        Assert.True(run.ExitCode == ExitCodes.Failed, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("compass: error: ", line);
        Assert.Contains(contains, line, StringComparison.Ordinal);
    }

    [Fact]
    public void AHeaderClaimingAHugeImageIsRefusedBeforeDecoding()
    {
        string path = _cli.PathOf("huge.png");
        File.WriteAllBytes(path, CraftedPng.WithHeader(100_000, 100_000));
        AssertOneError(_cli.Run("encode", path, "-o", _cli.PathOf("x.cmps")),
            $"huge.png: image too large: 100000x100000 exceeds the limit of {ImageInputLimits.DefaultMaxPixels} pixels");
        Assert.False(File.Exists(_cli.PathOf("x.cmps")));
        Assert.Empty(_cli.Requests); // refused before any model is loaded
    }

    [Fact]
    public void AnimationsAboveTheFrameLimitAreRefusedAndOtherwiseCodeTheFirstFrame()
    {
        string path = _cli.PathOf("anim.gif");
        using (var image = new Image<Rgb24>(64, 48, new Rgb24(10, 200, 30)))
        {
            for (int i = 1; i < 5; i++)
            {
                using var frame = new Image<Rgb24>(64, 48, new Rgb24((byte)(40 * i), 0, 0));
                image.Frames.AddFrame(frame.Frames.RootFrame);
            }
            image.SaveAsGif(path);
        }
        AssertOneError(_cli.Run("encode", path, "-o", _cli.PathOf("x.cmps"), "--max-frames", "4"),
            "anim.gif: image has too many frames: 5 exceeds the limit of 4");

        var ok = _cli.Run("encode", path, "-o", _cli.PathOf("x.cmps"), "--max-frames", "5", "--scales", "0.5,1");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.True(InputImages.Read(path, ImageInputLimits.Default, out var decoder).Pixels.Width == 64);
        Assert.Equal(InputImages.Decoder.Skia, decoder);
    }

    [Fact]
    public void FormatsSkiaDoesNotReadGoThroughImageSharpWithTheSameLimits()
    {
        string tiff = _cli.PathOf("img.tiff");
        using (var image = new Image<Rgb24>(40, 30, new Rgb24(1, 2, 3))) image.SaveAsTiff(tiff);
        var pixels = InputImages.Read(tiff, ImageInputLimits.Default, out var decoder).Pixels.ConvertTo(Imaging.PixelLayout.Rgb24);
        Assert.Equal(InputImages.Decoder.ImageSharp, decoder);
        Assert.Equal(new byte[] { 1, 2, 3 }, pixels.GetRow(29)[^3..].ToArray());
        AssertOneError(_cli.Run("encode", tiff, "-o", _cli.PathOf("x.cmps"), "--max-pixels", "1199"), "40x30 exceeds the limit of 1199 pixels");

        string png = _cli.WriteImage("img.png", 40, 30);
        InputImages.Read(png, ImageInputLimits.Default, out decoder);
        Assert.Equal(InputImages.Decoder.Skia, decoder);
    }

    [Fact]
    public void ATruncatedJpegIsOneClearError()
    {
        string path = _cli.PathOf("cut.jpg");
        using (var image = new Image<Rgb24>(64, 48, new Rgb24(90, 90, 90)))
        using (var jpeg = new MemoryStream())
        {
            image.SaveAsJpeg(jpeg);
            File.WriteAllBytes(path, jpeg.ToArray()[..200]);
        }
        AssertOneError(_cli.Run("encode", path, "-o", _cli.PathOf("x.cmps")), "cut.jpg: not a valid image");
    }

    [Fact]
    public void MaxFramesMustBePositive()
    {
        var run = _cli.Run("encode", _cli.WriteImage("a.png", 32, 32), "-o", _cli.PathOf("x.cmps"), "--max-frames", "0");
        Assert.Equal(ExitCodes.InvalidArguments, run.ExitCode);
        Assert.Contains("--max-frames must be at least 1", run.Error);
    }
}
