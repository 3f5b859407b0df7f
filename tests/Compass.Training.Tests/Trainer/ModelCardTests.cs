using System.Text.Json;
using System.Text.Json.Nodes;
using Compass.Training.Training;

namespace Compass.Training.Tests.Trainer;

/// <summary>The card is a checkpoint header written flat: cards of older builds, and the committed ones, still read.</summary>
public class ModelCardTests
{
    private static readonly CheckpointHeader Header = new()
    {
        Step = 9026,
        TotalSteps = 30000,
        Seed = 1,
        Schedule = "step:0.7:0.25 lr=0.0002 warmup=0",
        Budget = "wall 60 min",
        LearningRate = 5e-5,
        Run = new RunDescription
        {
            Stage = TrainingStage.BaseLayer,
            Preset = "compact",
            Lambda = 0.0067,
            Quality = 3,
            DataFolder = "train",
            DataImageCount = 680,
            ValidationFolder = "kodak",
            CropSize = 128,
            BatchSize = 8,
            Threads = 1,
            Init = ["base=q3.weights"],
            Variant = "variable-rate=1,2,3",
        },
        WallSeconds = 7802.54,
        CpuSeconds = 6837.81,
        Validation = new Dictionary<string, double> { ["bpp"] = 0.37, ["psnr"] = double.NaN },
        ValidationStep = 8000,
        TrainMetrics = new Dictionary<string, double> { ["loss"] = 1.5 },
        GitCommit = "abc1234",
        CreatedUtc = new DateTimeOffset(2026, 12, 5, 16, 34, 21, TimeSpan.Zero),
    };

    [Fact]
    public void WritesTheRunInlineWithTheStageByItsShortName()
    {
        var json = JsonNode.Parse(ModelCard.From(Header).ToJson())!.AsObject();
        Assert.Equal(ModelCard.CurrentFormat, json["format"]!.GetValue<string>());
        Assert.Equal("bl", json["stage"]!.GetValue<string>());
        Assert.Equal(9026, json["steps"]!.GetValue<long>());
        Assert.Equal(680, json["dataImageCount"]!.GetValue<int>());
        Assert.False(json.ContainsKey("run"), "the run's fields stand at the top level, as older readers expect");
        Assert.False(json.ContainsKey("step"));
        Assert.Equal(7802.5, json["wallSeconds"]!.GetValue<double>()); // rounded to 0.1 s
    }

    [Fact]
    public void RoundTripsEveryHeaderField()
    {
        var card = ModelCard.From(Header);
        var back = ModelCard.Parse(card.ToJson());
        Assert.Equal(ModelCard.CurrentFormat, back.Format);
        var (h, b) = (card.Header, back.Header);
        Assert.Equal(h with { Run = new(), Validation = null, TrainMetrics = null }, b with { Run = new(), Validation = null, TrainMetrics = null });
        Assert.Equal(h.Run with { Init = null }, b.Run with { Init = null });
        Assert.Equal(h.Run.Init, b.Run.Init);
        Assert.Equal(h.Validation, b.Validation);
        Assert.Equal(h.TrainMetrics, b.TrainMetrics);
    }

    [Fact]
    public void ReadsACardOfAnOlderBuild()
    {
        // As written before the card embedded the header: no budget, learning rate or train metrics.
        const string Old = """
            {
              "format": "compass-model-card/1", "stage": "liff", "preset": "compact", "dataFolder": "train", "dataImageCount": 680,
              "validationFolder": "kodak", "steps": 4167, "totalSteps": 5000, "batchSize": 4, "cropSize": 96,
              "schedule": "step:0.75:0.2 lr=0.0005 warmup=0", "seed": 1, "threads": 1, "wallSeconds": 1785, "variant": "liff-input=decoded",
              "cpuSeconds": 1201.4, "validation": { "psnr": 26.8 }, "validationStep": 4000, "createdUtc": "2026-12-01T10:00:00+00:00"
            }
            """;
        var card = ModelCard.Parse(Old);
        Assert.Equal(TrainingStage.Liff, card.Header.Run.Stage);
        Assert.Equal("liff-input=decoded", card.Header.Run.Variant);
        Assert.Equal((4, 96), (card.Header.Run.BatchSize, card.Header.Run.CropSize));
        Assert.Equal((4167L, 5000L), (card.Header.Step, card.Header.TotalSteps));
        Assert.Equal(1201.4, card.Header.CpuSeconds);
        Assert.Null(card.Header.Run.Lambda);
        Assert.Null(card.Header.Budget);
    }

    [Fact]
    public void MalformedCardsAreFormatErrors()
    {
        Assert.Throws<CompassFormatException>(() => ModelCard.Parse("[1, 2]"));
        Assert.Throws<CompassFormatException>(() => ModelCard.Parse("""{ "stage": "final" }"""));
        Assert.Throws<CompassFormatException>(() => ModelCard.Parse("""{ "steps": "many" }"""));
        Assert.Throws<CompassFormatException>(() => ModelCard.Parse("{"));
    }

    [Fact]
    public void TheCommittedTrainerCardsRead()
    {
        var models = Path.Combine(RepositoryRoot(), "models");
        var cards = Directory.GetFiles(models, "*.card.json", SearchOption.AllDirectories);
        Assert.NotEmpty(cards);
        foreach (var path in cards)
        {
            var card = ModelCard.Load(path);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            // A trainer's card names its stage and steps; a shipped model's card lists its stages instead.
            if (doc.RootElement.TryGetProperty("stage", out var stage))
            {
                Assert.Equal(stage.GetString(), card.Header.Run.Stage.NameOf());
                Assert.Equal(doc.RootElement.GetProperty("steps").GetInt64(), card.Header.Step);
                Assert.Equal(doc.RootElement.GetProperty("cpuSeconds").GetDouble(), card.Header.CpuSeconds);
            }
            Assert.Equal(doc.RootElement.GetProperty("preset").GetString(), card.Header.Run.Preset);
        }
    }

    [Fact]
    public void CheckpointHeadersKeepTheStageAsItsShortName()
    {
        var bytes = new MemoryStream();
        new Checkpoint(Header, new Dictionary<string, byte[]>()).WriteTo(bytes);
        var text = System.Text.Encoding.UTF8.GetString(bytes.ToArray());
        Assert.Contains("\"Stage\": \"bl\"", text, StringComparison.Ordinal);
        Assert.Equal(TrainingStage.BaseLayer, Checkpoint.Parse(bytes.ToArray()).Header.Run.Stage);
    }

    [Theory]
    [InlineData(TrainingStage.BaseLayer, "bl")]
    [InlineData(TrainingStage.Liff, "liff")]
    [InlineData(TrainingStage.Residual, "residual")]
    [InlineData(TrainingStage.Joint, "joint")]
    [InlineData(TrainingStage.Smoke, "smoke")]
    public void StagesHaveTheirShortNames(TrainingStage stage, string name)
    {
        Assert.Equal(name, stage.NameOf());
        Assert.Equal(stage, TrainingStages.Parse(name));
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(stage));
    }

    [Fact]
    public void UnknownStageNamesAreRefused()
    {
        Assert.False(TrainingStages.TryParse("BaseLayer", out _));
        Assert.Contains("bl, liff, residual, joint, smoke", Assert.Throws<ArgumentException>(() => TrainingStages.Parse("final")).Message);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Compass.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (Compass.sln) is not above the test assembly.");
    }
}
