using Compass.ImageSharp;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;

namespace Compass.Imaging.Tests;

/// <summary>Test images and encoded files for the adapter tests.</summary>
internal static class TestImages
{
    /// <summary>A seeded random RGB image with some smooth structure and some noise.</summary>
    public static PixelBuffer Random(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new PixelBuffer(width, height);
        for (int y = 0; y < height; y++)
        {
            var row = image.GetRow(y);
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                    row[3 * x + c] = (byte)Math.Clamp(128 + 90 * Math.Sin((x + 17 * c) * 0.13) * Math.Cos(y * 0.09) + random.Next(-30, 31), 0, 255);
        }
        return image;
    }

    /// <summary>The image as an RGB PNG file (written by ImageSharp).</summary>
    public static byte[] Png(PixelBuffer pixels)
    {
        using var image = pixels.ToImage();
        using var stream = new MemoryStream();
        image.SaveAsPng(stream, new PngEncoder { ColorType = PngColorType.Rgb });
        return stream.ToArray();
    }

    /// <summary>The image in another format ImageSharp writes ("jpeg", "bmp", "gif").</summary>
    public static byte[] Encode(PixelBuffer pixels, string format)
    {
        using var image = pixels.ToImage();
        using var stream = new MemoryStream();
        switch (format)
        {
            case "png": image.SaveAsPng(stream); break;
            case "jpeg": image.SaveAsJpeg(stream); break;
            case "bmp": image.SaveAsBmp(stream); break;
            case "gif": image.SaveAsGif(stream); break;
            default: throw new ArgumentOutOfRangeException(nameof(format));
        }
        return stream.ToArray();
    }

    /// <summary>An animated GIF of <paramref name="frames"/> 8x6 frames of different colours (written by ImageSharp).</summary>
    public static byte[] AnimatedGif(int frames)
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(8, 6, new SixLabors.ImageSharp.PixelFormats.Rgb24(0, 0, 0));
        for (int i = 1; i < frames; i++)
        {
            using var frame = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(8, 6,
                new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)(i * 37), (byte)(255 - i * 11), (byte)(i * 5)));
            image.Frames.AddFrame(frame.Frames.RootFrame);
        }
        using var stream = new MemoryStream();
        image.SaveAsGif(stream);
        return stream.ToArray();
    }
}

/// <summary>A read-only stream that cannot seek, like a network stream.</summary>
internal sealed class ForwardOnlyStream(byte[] data) : Stream
{
    private readonly MemoryStream _inner = new(data);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
