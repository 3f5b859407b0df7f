using Compass.Testing;
using Compass.Training.Data;
using Compass.Training.Tests.Data;
using Compass.Training.Training;
using TorchSharp;

namespace Compass.Training.Tests.Trainer;

using Trainer = Compass.Training.Training.Trainer;

/// <summary>The non-finite-loss guard names the step, the loss terms, and whether the batch or the weights
/// were already non-finite, and advises accordingly.</summary>
[Collection(TorchGlobalState.Name)]
public sealed class NonFiniteLossTests : IDisposable
{
    private readonly TempDir _images = TestImages.Folder(4, 40, 36);
    private readonly TempDir _checkpoints = new();

    public void Dispose()
    {
        _images.Dispose();
        _checkpoints.Dispose();
    }

    private Trainer NewTrainer(SmokeTestObjective objective) => new(objective,
        new TrainingBatchSource(new ImageFolderDataset(_images.Path, 32), 2, ScaleSampler.Compass(2), seed: 3),
        new TrainerOptions
        {
            TotalSteps = 3,
            Schedule = LearningRateSchedule.Parse("constant", 1e-3, warmupSteps: 0),
            Seed = 3,
            CheckpointFolder = _checkpoints.Path,
            CheckpointEverySteps = 0,
            CheckpointInterval = null,
            ValidateEverySteps = 0,
            Run = new RunDescription { Stage = TrainingStage.Smoke, Preset = "compact", Lambda = 0.0067 },
        }, console: TextWriter.Null);

    [Fact]
    public void ANonFiniteWeightIsNamedWithTheStepAndTheAdvice()
    {
        torch.manual_seed(1);
        using var objective = new SmokeTestObjective();
        var main = objective.MainParameters().First();
        var name = objective.Model.named_parameters().First(p => ReferenceEquals(p.parameter, main)).name;
        var weight = main;
        using (torch.no_grad()) weight.fill_(double.NaN);
        using var trainer = NewTrainer(objective);

        var error = Assert.Throws<InvalidOperationException>(() => trainer.Run());
        Assert.Contains("at step 0", error.Message);
        Assert.Contains("the batch is finite", error.Message);
        Assert.Contains($"(first: {name})", error.Message);
        Assert.Contains("lower the learning rate or resume from an earlier checkpoint", error.Message);
        Assert.DoesNotContain("check-cpu", error.Message);
    }

    [Fact]
    public void ANonFiniteAuxiliaryLossStopsTrainingWithItsName()
    {
        torch.manual_seed(1);
        using var objective = new SmokeTestObjective();
        using (torch.no_grad()) objective.AuxiliaryParameters().Single().fill_(double.PositiveInfinity);
        using var trainer = NewTrainer(objective);

        var error = Assert.Throws<InvalidOperationException>(() => trainer.Run());
        Assert.StartsWith("The auxiliary loss became", error.Message);
        Assert.Contains("at step 0", error.Message);
        Assert.Contains("aux_loss=", error.Message);
    }
}
