using Compass.Testing;
using Compass.Training.Cli;
using Compass.Training.Tests.Data;
using Compass.Training.Training;

namespace Compass.Training.Tests.Trainer;

[Collection(TorchGlobalState.Name)]
public sealed class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => TrainCliProcess.Run(args);

    private static string[] Valid(string data, string outDir, params string[] extra) =>
        ["train", "--stage", "smoke", "--quality", "3", "--steps", "6", "--crop", "32", "--batch", "2", "--data", data, "--out", outDir, .. extra];

    [Fact]
    public void HelpListsEveryOption()
    {
        var (code, output, _) = Run("train", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--stage", "--preset", "--quality", "--lambda", "--steps", "--crop", "--batch", "--lr", "--lr-schedule", "--clip", "--seed", "--data", "--val", "--out", "--resume", "--threads" })
            Assert.Contains(option, output);
        Assert.Equal(0, Run("--help").Code);
    }

    [Theory]
    [InlineData("--stage", "--stage")]
    [InlineData("--steps", "--steps")]
    [InlineData("--data", "--data")]
    public void MissingRequiredOptionIsAOneLineError(string omit, string expected)
    {
        var args = Valid("/tmp/x", "/tmp/y").ToList();
        int i = args.IndexOf(omit);
        args.RemoveRange(i, 2);
        var (code, _, err) = Run([.. args]);
        Assert.Equal(2, code);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("compass-train: error:", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.Equal(2, lines.Length); // the error and the --help hint
    }

    [Theory]
    [InlineData("--steps", "0", "--steps must be at least 1")]
    [InlineData("--crop", "8", "--crop must be at least 16")]
    [InlineData("--quality", "9", "--quality must be 1..8")]
    [InlineData("--lr", "-1", "--lr must be positive")]
    [InlineData("--lr-schedule", "linear", "Unknown schedule 'linear'")]
    [InlineData("--stage", "everything", "everything")]
    [InlineData("--preset", "huge", "huge")]
    [InlineData("--threads", "0", "--threads must be at least 1")]
    [InlineData("--batch", "many", "many")]
    [InlineData("--batch", "0", "--batch must be at least 1")]
    public void BadValuesAreRejected(string option, string value, string message)
    {
        var args = Valid("/tmp/x", "/tmp/y").ToList();
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value; else args.AddRange([option, value]);
        var (code, _, err) = Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }

    [Fact]
    public void QualityAndLambdaAreExclusiveAndOneIsNeeded()
    {
        var (code, _, err) = Run(Valid("/tmp/x", "/tmp/y", "--lambda", "0.01"));
        Assert.Equal(2, code);
        Assert.Contains("exclusive", err);
        var args = Valid("/tmp/x", "/tmp/y").ToList();
        args.RemoveRange(args.IndexOf("--quality"), 2);
        (code, _, err) = Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains("needs --quality or --lambda", err);
    }

    [Fact]
    public void JointWithoutATrainedBaseLayerIsRefused()
    {
        using var data = TestImages.Folder(2);
        using var outDir = new TempDir();
        var args = Valid(data.Path, outDir.Path).ToList();
        args[args.IndexOf("smoke")] = "joint";
        var (code, _, err) = Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains("needs a trained one", err);
    }

    [Fact]
    public void LiffFromDecodedInputNeedsATrainedBaseLayer_AndOnlyAppliesToTheLiffStage()
    {
        using var data = TestImages.Folder(2);
        using var outDir = new TempDir();
        var args = Valid(data.Path, outDir.Path).ToList();
        args[args.IndexOf("smoke")] = "liff";
        args.AddRange(["--liff-input", "decoded"]);
        var (code, _, err) = Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains("--init base=", err);

        args[args.IndexOf("liff")] = "joint";
        (code, _, err) = Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains("stage 'liff' only", err);
    }

    [Fact]
    public void MissingDataFolderIsAOneLineError()
    {
        using var outDir = new TempDir();
        var missing = Path.Combine(outDir.Path, "nope");
        var (code, _, err) = Run(Valid(missing, outDir.Path));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void SmokeStageTrainsCheckpointsAndResumes()
    {
        using var data = TestImages.Folder(4);
        using var outDir = new TempDir();
        var (code, output, err) = Run(Valid(data.Path, outDir.Path, "--log-every", "3"));
        Assert.True(code == 0, err);
        Assert.Contains("step 6/6", output);
        var store = new CheckpointStore(outDir.Path);
        Assert.Equal(6, Checkpoint.Load(store.List()[0]).Header.Step);

        (code, _, err) = Run(Valid(data.Path, outDir.Path));
        Assert.Equal(1, code);
        Assert.Contains("already holds checkpoints", err);

        var resumed = Valid(data.Path, outDir.Path, "--resume").ToList();
        resumed[resumed.IndexOf("6")] = "9";
        (code, output, err) = Run([.. resumed]);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("step 3/9", output);
        Assert.Contains("step 9/9", output);
        var card = ModelCard.Load(CheckpointStore.CardPathFor(store.List()[0]));
        Assert.Equal(9, card.Header.Step);
        Assert.Equal(0.0067, card.Header.Run.Lambda);
        Assert.Equal(3, card.Header.Run.Quality);
    }

    [Fact]
    public void BudgetedRunStopsOnItsBudgetAndRecordsIt()
    {
        using var data = TestImages.Folder(4);
        using var outDir = new TempDir();
        var args = Valid(data.Path, outDir.Path, "--log-every", "1").ToList();
        args.RemoveRange(args.IndexOf("--steps"), 2);
        args.AddRange(["--budget-minutes", "0.02"]); // 1.2 s of wall time
        var (code, output, err) = Run([.. args]);
        Assert.True(code == 0, err);
        Assert.Contains("budget", output);
        Assert.Contains("% used", output);
        var header = Checkpoint.Load(new CheckpointStore(outDir.Path).List()[0]).Header;
        Assert.Equal("0.02 min wall", header.Budget);
        Assert.True(header.WallSeconds >= 1.2 && header.WallSeconds < 30, $"wall {header.WallSeconds}");
        Assert.True(header.Step >= 1);
    }

    [Fact]
    public void BudgetsAreExclusiveAndAStopIsNeeded()
    {
        var (code, _, err) = Run(Valid("/tmp/x", "/tmp/y", "--budget-minutes", "1", "--budget-cpu-minutes", "1"));
        Assert.Equal(2, code);
        Assert.Contains("exclusive", err);
        (code, _, err) = Run(Valid("/tmp/x", "/tmp/y", "--budget-minutes", "0"));
        Assert.Equal(2, code);
        Assert.Contains("--budget-minutes must be positive", err);
    }
    [Fact]
    public void ACorruptInitFileIsInvalidData_NotAMissingStage()
    {
        using var data = TestImages.Folder(2);
        using var outDir = new TempDir();
        using var files = new TempDir();
        var bad = Path.Combine(files.Path, "model-f16.weights");
        File.WriteAllBytes(bad, [1, 2, 3, 4, 5, 6, 7, 8]);
        var args = Valid(data.Path, outDir.Path).ToList();
        args[args.IndexOf("smoke")] = "bl";
        args.AddRange(["--preset", "slim", "--init", $"base={bad}"]);
        var (code, _, err) = Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains("model-f16.weights", err);
    }

    [Fact]
    public void ResumeWhenEveryCheckpointIsCorruptStopsWithAClearMessage()
    {
        using var data = TestImages.Folder(2);
        using var outDir = new TempDir();
        Assert.Equal(0, Run(Valid(data.Path, outDir.Path, "--checkpoint-every", "2", "--keep", "1")).Code);
        var kept = new CheckpointStore(outDir.Path).List();
        Assert.Single(kept);
        File.WriteAllBytes(kept[0], File.ReadAllBytes(kept[0])[..64]);

        var resume = Valid(data.Path, outDir.Path, "--resume", "--keep", "1");
        resume[Array.IndexOf(resume, "--steps") + 1] = "8";
        var (code, _, err) = Run(resume);
        Assert.Equal(2, code);
        Assert.Contains("No usable checkpoint to resume", err);
        Assert.Contains("run without --resume", err);
        Assert.Empty(new CheckpointStore(outDir.Path).List());

        // Starting over is then explicit, and its checkpoints survive.
        Assert.Equal(0, Run(Valid(data.Path, outDir.Path, "--keep", "1")).Code);
        Assert.Equal(6, Checkpoint.Load(new CheckpointStore(outDir.Path).List().Single()).Header.Step);
    }
    [Fact]
    public void ResumeWeightsContinuesARunAtItsStepFromItsCompactWeightsAndCard()
    {
        using var data = TestImages.Folder(2);
        using var first = new TempDir();
        using var second = new TempDir();
        string[] Bl(string outDir, string steps, params string[] extra)
        {
            var args = Valid(data.Path, outDir, extra);
            args[Array.IndexOf(args, "smoke")] = "bl";
            args[Array.IndexOf(args, "--steps") + 1] = steps;
            return args;
        }
        Assert.Equal(0, Run(Bl(first.Path, "4")).Code);
        var weights = Path.Combine(first.Path, "model-f16.weights");
        var before = ModelCard.Load(Path.ChangeExtension(weights, ".card.json"));
        Assert.Equal(4, before.Header.Step);

        var (code, output, err) = Run(Bl(second.Path, "7", "--resume-weights", weights));
        Assert.True(code == 0, err);
        Assert.Contains("done at step 7", output);
        var after = ModelCard.Load(Path.Combine(second.Path, "model-f16.card.json"));
        Assert.Equal(7, after.Header.Step);
        Assert.True(after.Header.CpuSeconds > before.Header.CpuSeconds, "the card keeps counting the run's CPU time");

        // Another seed, or a run already at its step count, is refused as invalid data.
        using var third = new TempDir();
        (code, _, err) = Run(Bl(third.Path, "7", "--resume-weights", weights, "--seed", "9"));
        Assert.Equal(2, code);
        Assert.Contains("seed", err);
        (code, _, err) = Run(Bl(third.Path, "4", "--resume-weights", weights));
        Assert.Equal(2, code);
        Assert.Contains("at step 4 already", err);
    }
}
