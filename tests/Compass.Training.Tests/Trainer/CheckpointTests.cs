using Compass.Training.Tests.Data;
using Compass.Training.Training;

namespace Compass.Training.Tests.Trainer;

public class CheckpointTests
{
    private static Checkpoint Make(long step, int size = 1000) => new(
        new CheckpointHeader { Step = step, Seed = 3, Schedule = "constant lr=0.001 warmup=0", Run = new RunDescription { Stage = "smoke" } },
        new Dictionary<string, byte[]> { ["model"] = Enumerable.Range(0, size).Select(i => (byte)(i * step)).ToArray(), ["optimizer"] = [1, 2, 3] });

    [Fact]
    public void RoundTrips()
    {
        using var folder = new TempFolder();
        var path = folder.File("c.ckpt");
        Make(12).Save(path);
        var back = Checkpoint.Load(path);
        Assert.Equal(12, back.Header.Step);
        Assert.Equal("smoke", back.Header.Run.Stage);
        Assert.Equal(Make(12).Sections["model"], back.Sections["model"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, back.Sections["optimizer"]);
    }

    [Fact]
    public void TruncatedOrFlippedFilesAreRejected()
    {
        using var folder = new TempFolder();
        var path = folder.File("c.ckpt");
        Make(5).Save(path);
        var bytes = File.ReadAllBytes(path);
        Assert.Throws<CompassFormatException>(() => Checkpoint.Parse(bytes[..(bytes.Length / 2)]));
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x10;
        var ex = Assert.Throws<CompassFormatException>(() => Checkpoint.Parse(flipped));
        Assert.Contains("checksum", ex.Message);
        Assert.Throws<CompassFormatException>(() => Checkpoint.Parse("not a checkpoint at all"u8.ToArray()));
    }

    [Fact]
    public void FailureMidWriteLeavesTheOldFileIntactAndNoTemporaryFile()
    {
        using var folder = new TempFolder();
        var path = folder.File("c.ckpt");
        Make(1).Save(path);
        var before = File.ReadAllBytes(path);

        // Simulated crash: half of a new checkpoint is written, then the writer fails.
        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            var full = new MemoryStream();
            Make(2, 5000).WriteTo(full);
            s.Write(full.ToArray(), 0, (int)full.Length / 2);
            s.Flush();
            throw new IOException("disk full (simulated)");
        }));
        Assert.Equal("disk full (simulated)", ex.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(1, Checkpoint.Load(path).Header.Step);
        Assert.Single(Directory.GetFiles(folder.Path));

        Make(3).Save(path);
        Assert.Equal(3, Checkpoint.Load(path).Header.Step);
    }

    [Fact]
    public void StoreResumesFromTheNewestValidCheckpointAndIgnoresLeftovers()
    {
        using var folder = new TempFolder();
        var log = new ListLogger();
        var store = new CheckpointStore(folder.Path, keep: 3, log);
        foreach (var step in new long[] { 10, 20, 30, 40 })
            store.Save(Make(step), ModelCard.From(Make(step).Header));
        // Keep = 3: step 10 pruned with its card.
        Assert.Equal([store.PathFor(40), store.PathFor(30), store.PathFor(20)], store.List());
        Assert.False(File.Exists(CheckpointStore.CardPathFor(store.PathFor(10))));
        Assert.True(File.Exists(CheckpointStore.CardPathFor(store.PathFor(40))));

        // A killed writer's temporary file and a damaged newest checkpoint are both passed over.
        File.WriteAllBytes(store.PathFor(50) + AtomicFile.TempMarker + "123-abc", [1, 2, 3]);
        var newest = File.ReadAllBytes(store.PathFor(40));
        File.WriteAllBytes(store.PathFor(40), newest[..100]);

        var latest = store.LoadLatest();
        Assert.NotNull(latest);
        Assert.Equal(30, latest.Header.Step);
        Assert.Contains(log.Entries, e => e.Message.Contains("step-00000040.ckpt") && e.Message.Contains("corrupt"));
    }

    [Fact]
    public void EmptyStoreHasNoCheckpoint()
    {
        using var folder = new TempFolder();
        Assert.Null(new CheckpointStore(Path.Combine(folder.Path, "none")).LoadLatest());
    }
}
