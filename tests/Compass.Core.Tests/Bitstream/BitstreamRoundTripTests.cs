using Compass.Bitstream;
using Compass.Tests.LayerPlans;
using CsCheck;
using static Compass.Tests.Bitstream.BitstreamTestData;

namespace Compass.Tests.Bitstream;

public class BitstreamRoundTripTests
{
    private static readonly Gen<(BitstreamHeader Header, LayerPayload[] Layers)> Streams =
        Gen.Select(LayerPlanTextTests.ValidPlans, Gen.Byte[1, 255], Gen.Byte.Array[32])
            .SelectMany((plan, quality, id) =>
                Gen.Select(Gen.Byte.Array[0, 40], Gen.Byte.Array[0, 200]).Array[plan.Count]
                    .Select(parts => (
                        new BitstreamHeader(new ModelIdentity(id), new Quality(quality), plan),
                        parts.Select(p => new LayerPayload(p.Item1, p.Item2)).ToArray())));

    [Fact]
    public void RandomStreamsRoundTripSyncAndAsync()
    {
        Streams.Sample(sample =>
        {
            byte[] bytes = BitstreamWriter.ToArray(sample.Header, sample.Layers);
            Assert.Equal(sample.Header.Size + sample.Layers.Sum(l => 8 + l.Length), bytes.Length);

            using var reader = new BitstreamReader(new MemoryStream(bytes));
            Assert.Equal(sample.Header, reader.ReadHeader());
            foreach (var expected in sample.Layers)
            {
                AssertSameLayer(expected, reader.ReadLayer());
            }
            Assert.Null(reader.ReadLayer());
            Assert.Equal(bytes.Length, reader.Position);

            var result = new BitstreamReader(new TrickleStream(bytes, 7)).ReadAvailableLayersAsync().AsTask().GetAwaiter().GetResult();
            Assert.True(result.IsComplete);
            Assert.Equal(sample.Header, result.Header);
            Assert.Equal(sample.Layers.Length, result.Layers.Count);
        }, iter: 200);
    }

    [Fact]
    public async Task AsyncWriterWritesTheSameBytesAsTheSyncWriter()
    {
        var (expected, header, layers) = Small();
        using var memory = new MemoryStream();
        await using (var writer = new BitstreamWriter(memory, header, leaveOpen: true))
        {
            for (int i = 0; i < layers.Length; i++)
            {
                await writer.WriteLayerAsync(i, layers[i]);
            }
            await writer.CompleteAsync();
        }
        Assert.Equal(expected, memory.ToArray());
    }

    [Fact]
    public async Task ReadsANonSeekableStreamOneByteAtATimeAsync()
    {
        var (bytes, header, layers) = Small();
        var stream = new TrickleStream(bytes, maxPerRead: 1);
        await using var reader = new BitstreamReader(stream);
        Assert.Equal(header, await reader.ReadHeaderAsync());
        int i = 0;
        await foreach (var layer in reader.ReadLayersAsync())
        {
            AssertSameLayer(layers[i++], layer);
        }
        Assert.Equal(layers.Length, i);
        Assert.Equal(bytes.Length + 1, stream.Reads); // one call per byte, plus the end check that returns 0
    }

    [Fact]
    public void ReadsANonSeekableStreamOneByteAtATimeSync()
    {
        var (bytes, _, layers) = Small();
        var read = ReadAll(new TrickleStream(bytes, maxPerRead: 1));
        Assert.Equal(layers.Length, read.Count);
        for (int i = 0; i < layers.Length; i++)
        {
            AssertSameLayer(layers[i], read[i]);
        }
    }

    [Fact]
    public void ReadingALayerAllocatesLittleMoreThanItsPayload()
    {
        var header = Header("64x64,128x128");
        var layers = new[] { new LayerPayload(new byte[100], new byte[20_000]), new LayerPayload(new byte[300], new byte[60_000]) };
        byte[] bytes = BitstreamWriter.ToArray(header, layers);
        using var reader = new BitstreamReader(new MemoryStream(bytes));
        reader.ReadHeader();
        foreach (var expected in layers)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var layer = reader.ReadLayer();
            long overhead = GC.GetAllocatedBytesForCurrentThread() - before - expected.Length;
            Assert.NotNull(layer);
            // Release: 72 bytes (array header + LayerPayload). Debug builds add the async state machines,
            // which the compiler makes classes there (about 0.9 KB).
            Assert.InRange(overhead, 0, 2048);
        }
    }

    [Fact]
    public void ReaderReadsTheHeaderOnFirstLayerRead()
    {
        var (bytes, header, layers) = Small();
        using var reader = new BitstreamReader(new MemoryStream(bytes));
        Assert.Null(reader.Header);
        AssertSameLayer(layers[0], reader.ReadLayer());
        Assert.Equal(header, reader.Header);
        Assert.Equal(1, reader.LayersRead);
        Assert.Throws<InvalidOperationException>(() => reader.ReadHeader());
    }

    [Fact]
    public void ReaderLeavesTheStreamOpenOnRequest()
    {
        var (bytes, _, _) = Small();
        var stream = new MemoryStream(bytes);
        new BitstreamReader(stream, leaveOpen: true).Dispose();
        Assert.True(stream.CanRead);
        new BitstreamReader(stream).Dispose();
        Assert.False(stream.CanRead);
    }

    [Fact]
    public void BitstreamCanBeFollowedByOtherDataWhenTheCallerStopsAtTheLastLayer()
    {
        // The reader never reads ahead, so a container can hold the bitstream and more.
        var (bytes, header, _) = Small();
        var stream = new MemoryStream([.. bytes, 0xEE, 0xFF]);
        using var reader = new BitstreamReader(stream, leaveOpen: true);
        for (int i = 0; i < header.Plan.Count; i++)
        {
            Assert.NotNull(reader.ReadLayer());
        }
        Assert.Equal(bytes.Length, stream.Position);
    }
}
