using Compass.Bitstream;
using static Compass.Tests.Bitstream.BitstreamTestData;

namespace Compass.Tests.Bitstream;

public class BitstreamInspectorTests
{
    [Fact]
    public void DescribesAValidStream()
    {
        var (bytes, header, layers) = Small();
        var summary = BitstreamInspector.Inspect(new TrickleStream(bytes, 5));
        Assert.True(summary.IsValid);
        Assert.Equal(header, summary.Header);
        Assert.Equal(75, summary.HeaderBytes);
        Assert.Equal(bytes.Length, summary.TotalBytes);
        Assert.Equal(0, summary.TrailingBytes);
        Assert.Equal(3, summary.Layers.Count);
        long[] ends = ChunkEnds(header, layers);
        for (int i = 0; i < 3; i++)
        {
            var layer = summary.Layers[i];
            Assert.Equal(i, layer.Index);
            Assert.Equal(header.Plan[i], layer.Size);
            Assert.Equal(i == 0 ? header.Size : ends[i - 1], layer.Offset);
            Assert.Equal(layers[i].ZStream.Length, layer.ZBytes);
            Assert.Equal(layers[i].YStream.Length, layer.YBytes);
            Assert.Equal(8 + layers[i].Length, layer.ChunkBytes);
            Assert.True(layer.CrcValid);
        }
        string report = summary.ToString();
        Assert.Contains("layer 1 24x20: 16 bytes (z 0 + y 4 bytes)", report);
        Assert.EndsWith("valid", report);
    }

    [Fact]
    public async Task ReportsCrcFailuresWithoutThrowingAndGoesOn()
    {
        var (bytes, header, layers) = Small();
        bytes[ChunkEnds(header, layers)[0] + 12] ^= 1; // a z byte of layer 1
        bytes[10] ^= 1; // a model-id byte
        var summary = await BitstreamInspector.InspectAsync(new TrickleStream(bytes, 1));
        Assert.False(summary.IsValid);
        Assert.Null(summary.Error);
        Assert.False(summary.HeaderCrcValid);
        Assert.Equal([true, false, true], summary.Layers.Select(l => l.CrcValid));
        Assert.Null(summary.Layers[1].ZBytes);
        Assert.Contains("CRC MISMATCH", summary.ToString());
    }

    [Fact]
    public void ReportsAnUnreadableHeader()
    {
        var summary = BitstreamInspector.Inspect(new MemoryStream("GIF89a"u8.ToArray()));
        Assert.Null(summary.Header);
        Assert.Contains("Not a Compass bitstream", summary.Error!.Message);
        Assert.False(summary.IsValid);
    }
}
