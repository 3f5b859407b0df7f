using System.Text.Json.Nodes;
using Compass.Evaluation;
using Compass.Testing;
using Compass.Training.Cli;
using Compass.Training.Cli.Recipes;
using Compass.Training.Tests.Data;

namespace Compass.Training.Tests.Trainer;

[Collection(TorchGlobalState.Name)]
public sealed class BenchRecipeTests
{
    /// <summary>Runs compass-train in-process (restoring torch's thread count); returns the exit code and stderr + stdout.</summary>
    private static (int Code, string Log) Run(params string[] args)
    {
        var (code, output, error) = TrainCliProcess.Run(args);
        return (code, error + output);
    }

    [Fact]
    public void AnchorCurveIsZeroOnItsPointsAndInterpolatesInLogRate()
    {
        var jpeg = ClassicCodecAnchors.Jpeg;
        Assert.Equal(0, jpeg.DbAtEqualRate(new(0.450, 29.14))!.Value, 9);
        Assert.Equal(1.0, jpeg.DbAtEqualRate(new(0.450, 30.14))!.Value, 9);
        Assert.Equal(-10, jpeg.RatePercentAtEqualPsnr(new(0.405, 29.14))!.Value, 9);
        // Halfway in log-rate between 0.450 and 0.743 the curve is halfway in PSNR.
        double mid = Math.Sqrt(0.450 * 0.743);
        Assert.Equal(0, jpeg.DbAtEqualRate(new(mid, (29.14 + 31.42) / 2))!.Value, 9);
        Assert.Equal(0, jpeg.RatePercentAtEqualPsnr(new(mid, (29.14 + 31.42) / 2))!.Value, 9);
        Assert.Null(jpeg.DbAtEqualRate(new(0.1, 25))); // below the measured range: no extrapolation
        Assert.Null(ClassicCodecAnchors.Jpeg2000.RatePercentAtEqualPsnr(new(0.5, 40)));
    }

    [Fact]
    public void BenchRecipeTrainsMeasuresAndAppendsOneLine()
    {
        using var data = TestImages.Folder(3, 48, 40);
        using var kodak = new TempDir();
        for (int i = 0; i < 2; i++) TestImages.Write(kodak.Combine($"kodim{i:D2}.png"), 52, 44, i);
        using var outDir = new TempDir();
        var jsonl = Path.Combine(outDir.Path, "exp", "experiments.jsonl");
        var plot = Path.Combine(outDir.Path, "exp", "experiments.png");
        var (code, log) = Run(
            "bench-recipe", "--preset", "compact", "--quality", "3", "--budget-cpu-minutes", "0.01", "--crop", "32", "--batch", "2",
            "--data", data.Path, "--out", Path.Combine(outDir.Path, "run"), "--kodak", kodak.Path, "--kodak-count", "1",
            "--jsonl", jsonl, "--plot", plot, "--label", "test recipe", "--val-every", "0");
        Assert.True(code == 0, log);
        var record = Assert.Single(RecipeRecord.ReadAll(jsonl));
        Assert.Equal("test recipe", record["label"]!.GetValue<string>());
        Assert.Equal("bl", record["recipe"]!["stage"]!.GetValue<string>());
        Assert.Equal(64, record["recipe"]!["N"]!.GetValue<int>());
        Assert.Equal("0.01 min cpu", record["recipe"]!["budget"]!.GetValue<string>());
        Assert.True(record["training"]!["steps"]!.GetValue<long>() >= 1);
        Assert.Null(record["training"]!["initCpuHours"]); // trained from scratch: its own hours are the total
        Assert.Equal(record["training"]!["cpuHours"]!.GetValue<double>(), record["training"]!["totalCpuHours"]!.GetValue<double>());
        var kodakResult = record["kodak"]!;
        Assert.Equal(1, kodakResult["images"]!.GetValue<int>());
        var image = kodakResult["perImage"]!.AsArray().Single()!;
        // bpp is the real stream's bytes over the image's pixels.
        double expected = image["bytes"]!.GetValue<long>() * 8.0 / (52 * 44);
        Assert.True(Math.Abs(expected - kodakResult["bpp"]!.GetValue<double>()) < 1e-5, $"bpp {kodakResult["bpp"]} vs {expected}"); // recorded to 5 decimals
        Assert.InRange(kodakResult["psnr"]!.GetValue<double>(), 3, 60);
        Assert.True(File.Exists(plot) && new FileInfo(plot).Length > 1000);
        Assert.IsType<JsonObject>(record["vsAnchors"]!["jpeg-420"]);
    }

    [Fact]
    public void AVariableRateRecipeIsMeasuredAtEveryLevel()
    {
        using var data = TestImages.Folder(3, 48, 40);
        using var kodak = new TempDir();
        TestImages.Write(kodak.Combine("kodim01.png"), 52, 44, 0);
        using var outDir = new TempDir();
        var jsonl = Path.Combine(outDir.Path, "experiments.jsonl");
        var (code, log) = Run(
            "bench-recipe", "--preset", "slim", "--quality", "3", "--variable-rate", "2,3", "--steps", "2", "--crop", "32", "--batch", "1",
            "--data", data.Path, "--out", Path.Combine(outDir.Path, "run"), "--kodak", kodak.Path, "--jsonl", jsonl, "--label", "vbr", "--val-every", "0");
        Assert.True(code == 0, log);
        var records = RecipeRecord.ReadAll(jsonl);
        Assert.Equal(["vbr [q2]", "vbr [q3]"], records.Select(r => r["label"]!.GetValue<string>()));
        Assert.Equal([0.0035, 0.0067], records.Select(r => r["recipe"]!["lambda"]!.GetValue<double>()));
        Assert.All(records, r => Assert.Equal("variable-rate=2,3", r["recipe"]!["variant"]!.GetValue<string>()));
        Assert.Equal([2, 3], records.Select(r => r["recipe"]!["quality"]!.GetValue<int>()));
        Assert.All(records, r => Assert.Equal(1, r["kodak"]!["images"]!.GetValue<int>()));
    }

    [Fact]
    public void TheCostOfInitWeightsComesFromTheirCard()
    {
        using var folder = new TempDir();
        var shipped = folder.Combine("shipped-f16.weights");
        File.WriteAllBytes(shipped, [1, 2, 3]);
        File.WriteAllText(folder.Combine("shipped-f16.card.json"),
            """{"stages":[{"stage":"bl","cpuSeconds":4000.5},{"stage":"liff","cpuSeconds":600},{"stage":"bl","cpuSeconds":100}]}""");
        Assert.Equal(4100.5, BenchRecipeCommand.BaseLayerCost(shipped));

        var trained = folder.Combine("bl-f16.weights");
        File.WriteAllBytes(trained, [1, 2, 3]);
        File.WriteAllText(folder.Combine("bl-f16.card.json"), """{"stage":"bl","cpuSeconds":1800}""");
        Assert.Equal(1800, BenchRecipeCommand.BaseLayerCost(trained));

        var joint = folder.Combine("joint-f16.weights");
        File.WriteAllBytes(joint, [1, 2, 3]);
        File.WriteAllText(folder.Combine("joint-f16.card.json"), """{"stage":"joint","cpuSeconds":900}""");
        Assert.Null(BenchRecipeCommand.BaseLayerCost(joint)); // a joint run's time is not its base layer's
        Assert.Null(BenchRecipeCommand.BaseLayerCost(folder.Combine("none.weights")));
    }
}
