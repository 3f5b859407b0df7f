using Compass.Testing;
using Compass.Training.Tests.Data;
using Compass.Training.Training;

namespace Compass.Training.Tests.Trainer;

public class CheckpointTests
{
    private static Checkpoint Make(long step, int size = 1000) => new(
        new CheckpointHeader { Step = step, Seed = 3, Schedule = "constant lr=0.001 warmup=0", Run = new RunDescription { Stage = TrainingStage.Smoke } },
        new Dictionary<string, byte[]> { ["model"] = Enumerable.Range(0, size).Select(i => (byte)(i * step)).ToArray(), ["optimizer"] = [1, 2, 3] });

    [Fact]
    public void RoundTrips()
    {
        using var folder = new TempDir();
        var path = folder.Combine("c.ckpt");
        Make(12).Save(path);
        var back = Checkpoint.Load(path);
        Assert.Equal(12, back.Header.Step);
        Assert.Equal(TrainingStage.Smoke, back.Header.Run.Stage);
        Assert.Equal(Make(12).Sections["model"], back.Sections["model"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, back.Sections["optimizer"]);
    }

    [Fact]
    public void TruncatedOrFlippedFilesAreRejected()
    {
        using var folder = new TempDir();
        var path = folder.Combine("c.ckpt");
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
        using var folder = new TempDir();
        var path = folder.Combine("c.ckpt");
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
        using var folder = new TempDir();
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
        using var folder = new TempDir();
        Assert.Null(new CheckpointStore(Path.Combine(folder.Path, "none")).LoadLatest());
    }
    [Fact]
    public void CorruptCheckpointsAreSetAsideAndNeverOutrankOrDeleteNewOnes()
    {
        using var folder = new TempDir();
        var store = new CheckpointStore(folder.Path, keep: 1, new ListLogger());
        foreach (var step in new long[] { 30, 40 })
        {
            var path = store.PathFor(step);
            Make(step).Save(path);
            File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]); // truncated, as by a full disk
        }

        Assert.Null(store.LoadLatest());
        Assert.Equal(2, store.LastProblems.Count);
        Assert.Empty(store.List());
        Assert.Equal([store.PathFor(40) + CheckpointStore.CorruptSuffix, store.PathFor(30) + CheckpointStore.CorruptSuffix], store.ListCorrupt());

        // A run that starts over keeps its own checkpoints, although the corrupt files have higher steps.
        var first = store.Save(Make(1), ModelCard.From(Make(1).Header));
        Assert.True(File.Exists(first));
        var second = store.Save(Make(2), ModelCard.From(Make(2).Header));
        Assert.Equal([second], store.List());
        Assert.Equal(2, store.LoadLatest()!.Header.Step);
        Assert.Equal(2, store.ListCorrupt().Count); // kept for inspection
    }

    [Fact]
    public void SaveNeverDeletesTheCheckpointItJustWrote()
    {
        using var folder = new TempDir();
        var store = new CheckpointStore(folder.Path, keep: 1);
        store.Save(Make(50), ModelCard.From(Make(50).Header)); // e.g. from an earlier run with more steps
        var path = store.Save(Make(5), ModelCard.From(Make(5).Header));
        Assert.Equal([path], store.List());
    }

    [Fact]
    public void TemporaryFilesOfDeadProcessesAreRemovedAndLiveOnesKept()
    {
        using var folder = new TempDir();
        var store = new CheckpointStore(folder.Path, keep: 3, new ListLogger());
        using var finished = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        finished.WaitForExit();
        var dead = store.PathFor(7) + AtomicFile.TempMarker + $"{finished.Id}-0123abcd";
        var live = store.PathFor(8) + AtomicFile.TempMarker + $"{Environment.ProcessId}-4567ef89";
        var foreign = Path.Combine(folder.Path, "notes.txt");
        File.WriteAllBytes(dead, new byte[64]);
        File.WriteAllBytes(live, new byte[64]);
        File.WriteAllText(foreign, "mine");

        store.Save(Make(9), ModelCard.From(Make(9).Header));

        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(foreign));
        Assert.Equal(finished.Id, AtomicFile.OwnerProcessId(dead));
        Assert.Null(AtomicFile.OwnerProcessId(foreign));
    }
}
