using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Compass.Imaging;
using Compass.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Tests.Imaging;

public class ImageLoaderTests
{
    [Fact]
    public void LoadsAPngAsRgb()
    {
        using var source = ImagingTestData.RandomImage(13, 9, seed: 2);
        using var loaded = ImageLoader.Load(new MemoryStream(Png(source)));
        Assert.Equal((13, 9), (loaded.Width, loaded.Height));
        Assert.Equal(ImagingTestData.Bytes(source), ImagingTestData.Bytes(loaded));
    }

    [Fact]
    public void LoadsFromTheCurrentPositionOfANonSeekableStream()
    {
        using var source = ImagingTestData.RandomImage(5, 4, seed: 3);
        byte[] png = Png(source);
        using var loaded = ImageLoader.Load(new ForwardOnlyStream(png));
        Assert.Equal(ImagingTestData.Bytes(source), ImagingTestData.Bytes(loaded));

        var prefixed = new MemoryStream([.. new byte[7], .. png]) { Position = 7 };
        var planar = ImageLoader.LoadPlanar(prefixed);
        Assert.Equal(PlanarImage.FromImage(source).Data, planar.Data);
    }

    [Fact]
    public void TextIsNotAnImage()
    {
        var e = Assert.Throws<CompassFormatException>(() =>
            ImageLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes("hello, this is a text file\n"))));
        Assert.StartsWith("not an image", e.Message);
    }

    [Fact]
    public void TextFileNamesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"compass-{Guid.NewGuid():N}.png");
        File.WriteAllText(path, "definitely not a PNG");
        try
        {
            var e = Assert.Throws<CompassFormatException>(() => ImageLoader.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("not an image", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void EmptyStreamIsNotAnImage()
    {
        var e = Assert.Throws<CompassFormatException>(() => ImageLoader.Load(new MemoryStream()));
        Assert.Contains("empty", e.Message);
        Assert.Throws<CompassFormatException>(() => ImageLoader.Load(new ForwardOnlyStream([])));
    }

    [Fact]
    public void TruncatedPngIsRejectedAtEveryLength()
    {
        using var source = ImagingTestData.RandomImage(16, 16, seed: 4);
        byte[] png = Png(source);
        // Every cut from inside the signature to just before the IEND chunk, including mid-IDAT.
        for (int length = 1; length < png.Length - 12; length++)
        {
            var e = Assert.Throws<CompassFormatException>(() => ImageLoader.Load(new MemoryStream(png[..length])));
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }

    [Fact]
    public void TruncatedJpegIsRejected()
    {
        using var source = ImagingTestData.RandomImage(32, 24, seed: 6);
        using var jpeg = new MemoryStream();
        source.SaveAsJpeg(jpeg);
        byte[] bytes = jpeg.ToArray();
        foreach (int length in new[] { 1, 2, 3, 10, 100, bytes.Length / 4 })
            Assert.Throws<CompassFormatException>(() => ImageLoader.Load(new MemoryStream(bytes[..length])));
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("bmp")]
    [InlineData("gif")]
    public void CorruptedBytesEitherDecodeOrThrowCompassFormatException(string format)
    {
        using var source = ImagingTestData.RandomImage(24, 16, seed: 8);
        using var encoded = new MemoryStream();
        switch (format)
        {
            case "png": source.SaveAsPng(encoded); break;
            case "jpeg": source.SaveAsJpeg(encoded); break;
            case "bmp": source.SaveAsBmp(encoded); break;
            default: source.SaveAsGif(encoded); break;
        }
        byte[] original = encoded.ToArray();
        var random = new Random(format.Length);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            // Corrupt a few bytes, biased to the headers, and sometimes truncate.
            for (int k = random.Next(1, 4); k > 0; k--)
                bytes[random.Next(Math.Min(bytes.Length, random.Next(2) == 0 ? 64 : bytes.Length))] = (byte)random.Next(256);
            if (random.Next(3) == 0) bytes = bytes[..random.Next(1, bytes.Length)];
            try
            {
                using var image = ImageLoader.Load(new MemoryStream(bytes), maxPixels: 1 << 20);
                Assert.InRange((long)image.Width * image.Height, 1, 1 << 20);
            }
            catch (CompassFormatException)
            {
            }
        }
    }

    [Fact]
    public void HugePngHeaderIsRefusedBeforeDecoding()
    {
        byte[] png = PngWithHeader(100_000, 100_000);
        var e = Assert.Throws<CompassFormatException>(() => ImageLoader.Load(new MemoryStream(png)));
        Assert.Equal($"image too large: 100000x100000 exceeds the limit of {ImageLoader.DefaultMaxPixels} pixels", e.Message);
    }

    [Fact]
    public void PixelLimitIsConfigurable()
    {
        using var source = ImagingTestData.RandomImage(20, 10, seed: 7);
        byte[] png = Png(source);
        Assert.Throws<CompassFormatException>(() => ImageLoader.Load(new MemoryStream(png), maxPixels: 199));
        using var ok = ImageLoader.Load(new MemoryStream(png), maxPixels: 200);
        Assert.Equal(20, ok.Width);
    }

    [Fact]
    public void ZeroSizePngIsRejected()
    {
        var e = Assert.Throws<CompassFormatException>(() => ImageLoader.Load(new MemoryStream(PngWithHeader(0, 5))));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [SkippableFact]
    public void LoadsKodak()
    {
        var image = ImageLoader.LoadPlanar(Path.Combine(SharedData.Kodak, "kodim01.png"));
        Assert.Equal((768, 512), (image.Width, image.Height));
    }

    private static byte[] Png(Image<Rgb24> image)
    {
        using var stream = new MemoryStream();
        image.SaveAsPng(stream, new PngEncoder { ColorType = PngColorType.Rgb });
        return stream.ToArray();
    }

    // A PNG whose IHDR claims the given size, followed by a tiny IDAT and IEND (all CRCs valid).
    private static byte[] PngWithHeader(int width, int height)
    {
        var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type RGB
        WriteChunk(output, "IHDR", ihdr);
        WriteChunk(output, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        output.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(typeAndData));
        output.Write(crc);
    }

    /// <summary>A read-only stream that cannot seek, like a network stream.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
