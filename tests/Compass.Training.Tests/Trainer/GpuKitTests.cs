using Compass.Testing;
using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Runtime;
using Compass.Training.Tests.Data;
using Compass.Training.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;

namespace Compass.Training.Tests.Trainer;

using Trainer = Compass.Training.Training.Trainer;

/// <summary>
/// The pieces of the GPU kit that run anywhere: <c>--device</c>, <c>probe-device</c>, <c>crop-pack</c>, compact
/// weights at every checkpoint, and the key layout of the PyTorch fallback (tools/train_compass.py).
/// </summary>
[Collection(TorchGlobalState.Name)]
public sealed class GpuKitTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => TrainCliProcess.Run(args);

    [Fact]
    public void DeviceNamesResolve_AndUnknownNamesAreRefused()
    {
        Assert.Equal(DeviceType.CPU, TrainingDevice.Resolve("cpu").type);
        Assert.Equal(DeviceType.CPU, TrainingDevice.Resolve(" CPU ").type);
        Assert.Equal(TrainingDevice.CudaAvailable ? DeviceType.CUDA : DeviceType.CPU, TrainingDevice.Resolve("auto").type);
        var ex = Assert.Throws<ArgumentException>(() => TrainingDevice.Resolve("gpu"));
        Assert.Contains("Unknown device 'gpu'", ex.Message);
        Assert.Throws<ArgumentException>(() => TrainingDevice.Resolve("cuda:x"));
    }

    [SkippableFact]
    public void CudaWhereLibtorchHasNoneIsAClearError()
    {
        Skip.If(TrainingDevice.CudaAvailable, "this machine has CUDA");
        var ex = Assert.Throws<ArgumentException>(() => TrainingDevice.Resolve("cuda"));
        Assert.Contains("no CUDA device", ex.Message);
        Assert.Contains("LD_LIBRARY_PATH", ex.Message);

        using var data = TestImages.Folder(2);
        using var outDir = new TempDir();
        var (code, _, err) = Run("train", "--stage", "smoke", "-q", "3", "--steps", "1", "--crop", "32", "--batch", "1",
            "--data", data.Path, "--out", outDir.Path, "--device", "cuda");
        Assert.Equal(2, code);
        Assert.StartsWith("compass-train: error: Device 'cuda': libtorch finds no CUDA device here.", err);
        Assert.DoesNotContain("(Parameter", err);
        Assert.Empty(Directory.GetFiles(outDir.Path));
    }

    [Fact]
    public void ProbeDeviceSaysWhetherCudaRuns()
    {
        var (code, output, _) = Run("probe-device");
        Assert.Contains("libtorch: loaded", output);
        if (TrainingDevice.CudaAvailable)
        {
            Assert.Equal(0, code);
            Assert.Contains("probe-device: CUDA PASS", output);
        }
        else
        {
            Assert.Equal(3, code);
            Assert.Contains("cuda: not available", output);
        }
    }

    [Fact]
    public void TrainingOnTheAutoDeviceRuns_AndWritesWeightsAtEveryCheckpointWhenAsked()
    {
        using var images = TestImages.Folder(4, 40, 36);
        using var dir = new TempDir();
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
            torch.manual_seed(3);
            using var objective = new SmokeTestObjective();
            var options = new TrainerOptions
            {
                TotalSteps = 6,
                Seed = 5,
                CheckpointFolder = dir.Path,
                CheckpointEverySteps = 2,
                CheckpointInterval = null,
                ValidateEverySteps = 0,
                CompactWeightsEveryCheckpoint = true,
                Device = TrainingDevice.Resolve("auto"),
                Run = new RunDescription { Stage = TrainingStage.Smoke, Preset = "compact", Lambda = 0.0067 },
            };
            var source = new TrainingBatchSource(new ImageFolderDataset(images.Path, 32), 2, ScaleSampler.SingleLayer, seed: 5);
            var cardSteps = new List<long>();
            using var trainer = new Trainer(objective, source, options, console: TextWriter.Null);
            var weights = Path.Combine(dir.Path, "model-f16.weights");
            var card = Path.Combine(dir.Path, "model-f16.card.json");
            // After step index 2 (3 steps done), the checkpoint of step 2 has written its weights and card.
            trainer.StepCompleted += r => { if (r.Step == 2) cardSteps.Add(File.Exists(weights) ? ModelCard.Load(card).Header.Step : -1); };
            var summary = trainer.Run();
            Assert.Equal(6, summary.StepsCompleted);
            Assert.Equal([2L], cardSteps);
            Assert.Equal(6, ModelCard.Load(card).Header.Step);
            Assert.All(objective.Model.parameters(), p => Assert.Equal(options.Device!.type, p.device_type));
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    [Fact]
    public void WithoutTheOptionWeightsAreWrittenOnlyAtTheEnd()
    {
        using var images = TestImages.Folder(2, 40, 36);
        using var dir = new TempDir();
        torch.manual_seed(3);
        using var objective = new SmokeTestObjective();
        var options = new TrainerOptions
        {
            TotalSteps = 4,
            Seed = 5,
            CheckpointFolder = dir.Path,
            CheckpointEverySteps = 1,
            CheckpointInterval = null,
            ValidateEverySteps = 0,
            Run = new RunDescription { Stage = TrainingStage.Smoke, Preset = "compact", Lambda = 0.0067 },
        };
        var source = new TrainingBatchSource(new ImageFolderDataset(images.Path, 32), 1, ScaleSampler.SingleLayer, seed: 5);
        bool early = false;
        using var trainer = new Trainer(objective, source, options, console: TextWriter.Null);
        trainer.StepCompleted += r => early |= r.Step == 2 && File.Exists(Path.Combine(dir.Path, "model-f16.weights"));
        trainer.Run();
        Assert.False(early);
        Assert.True(File.Exists(Path.Combine(dir.Path, "model-f16.weights")));
    }

    [Fact]
    public void CropPackWritesDecodableCrops_Deterministically_WithinItsLimits()
    {
        using var data = TestImages.Folder(3, 80, 60);
        TestImages.Write(data.Combine("small.png"), 20, 20, 9); // smaller than the crop: skipped
        using var first = new TempDir();
        using var second = new TempDir();
        var (code, output, err) = Run("crop-pack", "--data", data.Path, "--out", first.Combine("pack"), "--crop", "48", "--max-count", "5");
        Assert.True(code == 0, err);
        Assert.Contains("crop-pack: 5 crops of 48x48", output);
        Assert.Contains("from 3 of 4 images", output);
        var files = Directory.GetFiles(first.Combine("pack")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(5, files.Length);
        foreach (var f in files)
        {
            Assert.EndsWith(".jpg", f);
            using var image = Image.Load<Rgb24>(f);
            Assert.Equal((48, 48), (image.Width, image.Height));
        }

        // Same seed, same crops, byte for byte.
        (code, _, err) = Run("crop-pack", "--data", data.Path, "--out", second.Combine("pack"), "--crop", "48", "--max-count", "5");
        Assert.True(code == 0, err);
        var again = Directory.GetFiles(second.Combine("pack")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(files.Select(Path.GetFileName), again.Select(Path.GetFileName));
        Assert.All(files.Zip(again), pair => Assert.Equal(File.ReadAllBytes(pair.First), File.ReadAllBytes(pair.Second)));

        // The size budget: the files stay under it.
        using var third = new TempDir();
        (code, output, err) = Run("crop-pack", "--data", data.Path, "--out", third.Combine("pack"), "--crop", "48", "--max-mib", "0.004");
        Assert.True(code == 0, err);
        long total = Directory.GetFiles(third.Combine("pack")).Sum(f => new FileInfo(f).Length);
        Assert.InRange(total, 1, (long)(0.004 * 1048576));

        // Nothing to crop, or an occupied output folder: one-line errors.
        (code, _, err) = Run("crop-pack", "--data", data.Path, "--out", third.Combine("other"), "--crop", "400");
        Assert.Equal(2, code);
        Assert.Contains("no crop written", err);
        (code, _, err) = Run("crop-pack", "--data", data.Path, "--out", third.Combine("pack"));
        Assert.Equal(2, code);
        Assert.Contains("is not empty", err);
    }

    [Fact]
    public void ThePyTorchFallbackWritesTheKeysAndShapesOfTheTorchSharpModule()
    {
        // tools/train_compass.keys.txt is the fallback's `--list-keys` output; the weights it writes must load
        // with `--init base=`, which needs every key of the base codec with its shape, and nothing else.
        var listed = File.ReadAllLines(Path.Combine(RepositoryRoot(), "tools", "train_compass.keys.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
        using var network = new CompassNetwork(CompassPresets.Get("compact"));
        var expected = network.state_dict()
            .Where(kv => kv.Key.StartsWith("base.", StringComparison.Ordinal))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}]")
            .ToArray();
        Assert.Equal(expected, listed);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Compass.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (the folder of Compass.sln) is not above the test assembly.");
    }
}
