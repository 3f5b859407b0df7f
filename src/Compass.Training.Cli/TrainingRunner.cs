using System.Globalization;
using Compass.Training.Data;
using Compass.Training.Runtime;
using Compass.Training.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Compass.Training.Cli;

/// <summary>Runs one training stage as <see cref="TrainSettings"/> say: data, objective, trainer, and the exit code.</summary>
internal sealed class TrainingRunner(TrainCliContext cli)
{
    private readonly TrainCliContext _cli = cli;

    /// <summary>Trains as <paramref name="s"/> says; returns the exit code and, when training ran, its summary.</summary>
    public int Run(TrainSettings s, out TrainingSummary? trained)
    {
        trained = null;
        using var ownedFactory = _cli.LoggerFactory is null
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Information))
            : null;
        var logger = (_cli.LoggerFactory ?? ownedFactory!).CreateLogger(TrainCliContext.Name);

        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
            logger.LogWarning("OMP_WAIT_POLICY is not set: libgomp spin-waits and can slow training 5-10x on a shared machine; export OMP_WAIT_POLICY=PASSIVE");
        if (FindGitRoot(s.Out) is { } repo)
            logger.LogWarning("Checkpoint folder {Out} is inside the git working tree {Repo}: keep checkpoints outside the repository", Path.GetFullPath(s.Out), repo);

        try
        {
            logger.LogInformation("Convolutions: {Kernels}", TorchCpu.Describe());
        }
        catch (ArgumentException ex)
        {
            return _cli.Fail(ex.Message);
        }
        torch.Device device;
        try
        {
            device = TrainingDevice.Resolve(s.Device);
        }
        catch (ArgumentException ex)
        {
            return _cli.Fail(ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal));
        }
        logger.LogInformation("Device: {Device} (--device {Option})", device, s.Device);
        torch.set_num_threads(s.Threads);
        // Weights are initialised from torch's generator: seed it so a fresh run is reproducible too.
        torch.manual_seed(s.Seed);
        var objective = Stages.TryCreate(s, out var reason, line => logger.LogInformation("--init: {Levels}", line));
        if (objective is null)
        {
            return _cli.Fail($"{reason}.");
        }
        if (objective is Objectives.LiffObjective liff)
            logger.LogInformation("LIFF predicts the first enhancement layer from the {Input} (--liff-input {Option})",
                liff.DecodedBaseInput ? "base-layer codec's reconstruction" : "clean downscaled image", s.LiffInput);
        try
        {
            ImageFolderDataset dataset;
            ValidationSet? validation = null;
            try
            {
                dataset = new ImageFolderDataset(s.Data, s.Crop, s.SmallImages, logger);
                dataset.Load();
                if (s.Validation is not null) validation = ValidationSet.Load(s.Validation, s.ValidationCount, s.ValidationCrop, logger);
            }
            catch (Exception ex) when (ex is DirectoryNotFoundException or InvalidDataException)
            {
                return _cli.Fail(ex.Message);
            }

            var source = new TrainingBatchSource(dataset, s.Batch, Stages.ScalesFor(s.Layers), s.Seed);
            var options = new TrainerOptions
            {
                TotalSteps = s.Steps,
                Schedule = s.Schedule,
                AuxLearningRate = s.AuxLearningRate,
                GradientClipNorm = s.Clip,
                Seed = s.Seed,
                CheckpointFolder = s.Out,
                Resume = s.Resume,
                CheckpointEverySteps = s.CheckpointEvery,
                CheckpointInterval = s.CheckpointMinutes > 0 ? TimeSpan.FromMinutes(s.CheckpointMinutes) : null,
                KeepCheckpoints = s.Keep,
                CompactWeightsEveryCheckpoint = s.WeightsEveryCheckpoint,
                LogEverySteps = s.LogEvery,
                Device = device,
                ValidateEverySteps = s.ValidateEvery,
                Budget = s.Budget,
                Run = new RunDescription
                {
                    Stage = s.Stage,
                    Preset = s.Preset,
                    Lambda = s.EffectiveLambda,
                    Quality = s.Lambda is null ? s.Quality : null,
                    ValidationFolder = validation?.Folder,
                    Threads = s.Threads,
                    Init = s.Init.Count > 0 ? s.Init : null,
                    Variant = s.VariantOf(objective),
                },
            };
            if (s.ResumeWeights is { } weights)
            {
                try
                {
                    options = options with { ContinueFrom = ModelCard.LoadFor(weights) };
                }
                catch (Exception ex) when (ex is IOException or CompassFormatException or UnauthorizedAccessException)
                {
                    return _cli.Fail($"--resume-weights needs the run's card beside its weights ({Path.ChangeExtension(weights, ".card.json")}) or in its bundle: {ex.Message}");
                }
            }
            using var trainer = new Trainer(objective, source, options, validation, logger, _cli.Output);
            TrainingSummary summary;
            try
            {
                summary = trainer.Run(_cli.Cancel);
            }
            catch (InvalidDataException ex)
            {
                return _cli.Fail(ex.Message);
            }
            catch (InvalidOperationException ex)
            {
                return _cli.Fail(ex.Message, ExitCodes.TrainingFailed);
            }
            trained = summary;
            _cli.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(summary.Cancelled ? "stopped" : "done")} at step {summary.StepsCompleted}; checkpoint {summary.LastCheckpoint}"));
            return summary.Cancelled ? ExitCodes.Cancelled : ExitCodes.Success;
        }
        finally
        {
            (objective as IDisposable)?.Dispose();
        }
    }

    private static string? FindGitRoot(string path)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(path)); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
                return dir.FullName;
        return null;
    }
}
