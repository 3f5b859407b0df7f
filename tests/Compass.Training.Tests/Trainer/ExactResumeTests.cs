using Compass.Testing;
using Compass.Training.Data;
using Compass.Training.Tests.Data;
using Compass.Training.Training;
using TorchSharp;

namespace Compass.Training.Tests.Trainer;

using Trainer = Compass.Training.Training.Trainer;

[Collection(TorchGlobalState.Name)]
public sealed class ExactResumeTests : IDisposable
{
    private readonly TempDir _images = TestImages.Folder(6, 40, 36);
    private readonly int _threads = torch.get_num_threads();

    public ExactResumeTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        _images.Dispose();
    }

    private TrainerOptions Options(string folder, bool resume) => new()
    {
        TotalSteps = 20,
        Schedule = LearningRateSchedule.Parse("step:0.75:0.2", 5e-3, warmupSteps: 3),
        GradientClipNorm = 1.0,
        Seed = 17,
        CheckpointFolder = folder,
        Resume = resume,
        CheckpointEverySteps = 0,
        CheckpointInterval = null,
        LogEverySteps = 5,
        ValidateEverySteps = 0,
        Run = new RunDescription { Stage = TrainingStage.Smoke, Preset = "compact", Lambda = 0.0067 },
    };

    private TrainingBatchSource Source() =>
        new(new ImageFolderDataset(_images.Path, 32), 2, ScaleSampler.Compass(2), seed: 17);

    private static SmokeTestObjective NewObjective(long initSeed)
    {
        torch.manual_seed(initSeed);
        return new SmokeTestObjective();
    }

    [Fact]
    public void ResumedRunRepeatsTheUninterruptedLossesBitForBit()
    {
        using var straightDir = new TempDir();
        using var splitDir = new TempDir();

        // Uninterrupted: 20 steps.
        var straight = new List<double>();
        using var straightObjective = NewObjective(5);
        using (var trainer = new Trainer(straightObjective, Source(), Options(straightDir.Path, false), console: TextWriter.Null))
        {
            trainer.StepCompleted += r => straight.Add(r.Loss);
            var summary = trainer.Run();
            Assert.Equal(20, summary.StepsCompleted);
            Assert.False(summary.Cancelled);
        }

        // Interrupted after 10 steps (cancellation writes a checkpoint) ...
        var split = new List<double>();
        using (var first = NewObjective(5))
        using (var trainer = new Trainer(first, Source(), Options(splitDir.Path, false), console: TextWriter.Null))
        using (var cancel = new CancellationTokenSource())
        {
            trainer.StepCompleted += r => { split.Add(r.Loss); if (r.Step == 9) cancel.Cancel(); };
            var summary = trainer.Run(cancel.Token);
            Assert.True(summary.Cancelled);
            Assert.Equal(10, summary.StepsCompleted);
            // A stopped run leaves compact weights and their card too, for --resume-weights elsewhere.
            Assert.Equal(10, ModelCard.Load(Path.Combine(splitDir.Path, "model-f16.card.json")).Header.Step);
        }
        Assert.Equal(10, split.Count);

        // ... then resumed into fresh objects whose initial weights differ (they must come from the checkpoint).
        using var second = NewObjective(999);
        using (var trainer = new Trainer(second, Source(), Options(splitDir.Path, true), console: TextWriter.Null))
        {
            trainer.StepCompleted += r => split.Add(r.Loss);
            var summary = trainer.Run();
            Assert.Equal(20, summary.StepsCompleted);
        }

        Assert.Equal(20, split.Count);
        for (int i = 0; i < 20; i++)
            Assert.True(straight[i] == split[i], $"step {i}: uninterrupted {straight[i]:R}, resumed {split[i]:R}");
        var a = straightObjective.Model.state_dict();
        var b = second.Model.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys)
            Assert.True(TensorAssert.Same(a[key], b[key]), $"weights '{key}' differ after resume");
    }

    [Fact]
    public void CheckpointHoldsBothOptimisersAndACardAndResumeRefusesAnotherStage()
    {
        using var dir = new TempDir();
        using var objective = NewObjective(1);
        using (var trainer = new Trainer(objective, Source(), Options(dir.Path, false) with { TotalSteps = 4 }, console: TextWriter.Null))
            trainer.Run();
        var store = new CheckpointStore(dir.Path);
        var checkpoint = Checkpoint.Load(store.List()[0]);
        Assert.Equal(4, checkpoint.Header.Step);
        Assert.Equal(17, checkpoint.Header.Seed);
        Assert.Equal(["aux_optimizer", "model", "optimizer", "torch_rng"], checkpoint.Sections.Keys.Order());
        var card = ModelCard.Load(CheckpointStore.CardPathFor(store.List()[0]));
        Assert.Equal(TrainingStage.Smoke, card.Header.Run.Stage);
        Assert.Equal(6, card.Header.Run.DataImageCount);
        Assert.Equal(4, card.Header.Step);
        Assert.True(File.Exists(Path.Combine(dir.Path, "model-f16.weights")));

        // Starting over in a folder with checkpoints, or resuming another stage, is refused.
        using var other = NewObjective(1);
        using (var trainer = new Trainer(other, Source(), Options(dir.Path, false), console: TextWriter.Null))
            Assert.Contains("already holds checkpoints", Assert.Throws<InvalidOperationException>(() => trainer.Run()).Message);
        using (var trainer = new Trainer(other, Source(), Options(dir.Path, true) with { Run = new RunDescription { Stage = TrainingStage.Joint, Preset = "compact", Lambda = 0.0067 } }, console: TextWriter.Null))
            Assert.Contains("stage smoke", Assert.Throws<InvalidOperationException>(() => trainer.Run()).Message);
    }

    [Fact]
    public void CompactWeightsRoundTripAtHalfPrecision()
    {
        using var dir = new TempDir();
        using var a = NewObjective(3);
        using var b = NewObjective(4);
        var path = Path.Combine(dir.Path, "w.f16");
        CompactWeights.Export(a.Model, path);
        CompactWeights.LoadInto(b.Model, path);
        var sa = a.Model.state_dict();
        var sb = b.Model.state_dict();
        foreach (var key in sa.Keys)
        {
            Assert.Equal(TorchSharp.torch.ScalarType.Float32, sb[key].dtype);
            var err = (sa[key] - sb[key]).abs().max().item<float>();
            var scale = sa[key].abs().max().item<float>();
            Assert.True(err <= scale * 1e-3f + 1e-7f, $"{key}: max error {err}");
        }
        Assert.Throws<CompassFormatException>(() => CompactWeights.LoadInto(new SmokeTestObjective(channels: 4).Model, path));
    }

    [Fact]
    public void ValidationRunsOnFixedCropsAndIsRecorded()
    {
        using var dir = new TempDir();
        using var val = new TempDir();
        for (int i = 0; i < 3; i++) TestImages.Write(val.Combine($"v{i}.png"), 48, 40, i + 10);
        var validation = ValidationSet.Load(val.Path, count: 2, cropSize: 32);
        using var objective = NewObjective(2);
        var console = new StringWriter();
        using var trainer = new Trainer(objective, Source(), Options(dir.Path, false) with { TotalSteps = 6, ValidateEverySteps = 3, LogEverySteps = 3 }, validation, console: console);
        var summary = trainer.Run();
        Assert.NotNull(summary.Validation);
        Assert.Contains("psnr", summary.Validation!.Keys);
        var text = console.ToString();
        Assert.Contains("validation @ step 3:", text);
        Assert.Contains("validation @ step 6:", text);
        Assert.Contains("step 6/6  loss ", text);
        Assert.Contains("step/s  ETA", text);
        var card = ModelCard.Load(Path.Combine(dir.Path, "model-f16.card.json"));
        Assert.Equal(summary.Validation["psnr"], card.Header.Validation!["psnr"]);
    }
}
