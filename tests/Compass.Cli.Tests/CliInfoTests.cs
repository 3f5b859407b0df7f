using System.Text;
using System.Text.Json;
using Compass.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Cli.Tests;

/// <summary><c>compass info</c> shows what a stream carries besides the colour layers: the metadata chunk's entries, alpha, grayscale.</summary>
public sealed class CliInfoTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private CliRun Ok(params string[] args) => _cli.RunOk(args);

    [Fact]
    public void InfoListsTheMetadataEntriesAndTheAlphaFlag()
    {
        // An RGBA image with an ICC profile (any bytes: the chunk carries them as they are), EXIF and XMP.
        byte[] png;
        using (var image = new Image<Rgba32>(48, 40))
        {
            for (int y = 0; y < 40; y++)
                for (int x = 0; x < 48; x++)
                    image[x, y] = new Rgba32((byte)(x * 5), (byte)(y * 6), 90, (byte)(x < 10 ? 0 : 255));
            using var buffer = new MemoryStream();
            image.SaveAsPng(buffer, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
            png = buffer.ToArray();
        }
        byte[] exif = [.. "MM\0*\0\0\0\x08\0\x01"u8, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0];
        byte[] xmp = Encoding.UTF8.GetBytes("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF/></x:xmpmeta>");
        File.WriteAllBytes(_cli.PathOf("meta.png"), ImageFileMetadata.Embed(png, new ImageMetadata { Exif = exif, Xmp = xmp }, 48, 40));
        Ok("encode", _cli.PathOf("meta.png"), "-o", _cli.PathOf("meta.cmps"));

        var text = Ok("info", _cli.PathOf("meta.cmps"));
        long chunk = 8 + 1 + (2 * 5) + exif.Length + xmp.Length; // head, count, two table entries, the bytes
        Assert.Contains($"metadata EXIF {exif.Length} bytes, XMP {xmp.Length} bytes (chunk {chunk} bytes)", text.Out);
        Assert.Contains("colour   RGB, alpha yes", text.Out);

        using var json = JsonDocument.Parse(Ok("info", _cli.PathOf("meta.cmps"), "--json").Out);
        var root = json.RootElement;
        Assert.True(root.GetProperty("alpha").GetBoolean());
        Assert.False(root.GetProperty("grayscale").GetBoolean());
        var metadata = root.GetProperty("metadata");
        Assert.Equal(chunk, metadata.GetProperty("chunkBytes").GetInt64());
        var entries = metadata.GetProperty("entries").EnumerateArray().Select(e => (e.GetProperty("type").GetString(), e.GetProperty("bytes").GetInt64())).ToArray();
        Assert.Equal([("exif", (long)exif.Length), ("xmp", (long)xmp.Length)], entries);
    }

    [Fact]
    public void InfoShowsGrayscaleAndNoMetadata()
    {
        using (var image = new Image<L8>(40, 40))
        {
            for (int y = 0; y < 40; y++)
                for (int x = 0; x < 40; x++)
                    image[x, y] = new L8((byte)((x * 6) + y));
            image.SaveAsPng(_cli.PathOf("gray.png"));
        }
        Ok("encode", _cli.PathOf("gray.png"), "-o", _cli.PathOf("gray.cmps"), "--metadata", "none");

        var text = Ok("info", _cli.PathOf("gray.cmps"));
        Assert.Contains("colour   grayscale, alpha no", text.Out);
        Assert.Contains("metadata none", text.Out);

        using var json = JsonDocument.Parse(Ok("info", _cli.PathOf("gray.cmps"), "--json").Out);
        Assert.True(json.RootElement.GetProperty("grayscale").GetBoolean());
        Assert.False(json.RootElement.GetProperty("alpha").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("metadata").ValueKind);
    }
}
