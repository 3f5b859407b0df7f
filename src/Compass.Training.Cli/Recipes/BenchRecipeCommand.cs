using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Compass.Training.Export;
using Compass.Training.Modules;
using Compass.Training.Training;

namespace Compass.Training.Cli.Recipes;

/// <summary>
/// <c>compass-train bench-recipe</c> trains a single-layer codec (stage bl) with a recipe, usually for a fixed
/// time budget, then measures it on Kodak with real bitstreams and appends one line to the experiments
/// file; <c>compass-train record-recipe</c> does the measuring and recording for an existing checkpoint
/// (e.g. a long background run).
/// </summary>
internal static class BenchRecipeCommand
{
    private static readonly Option<string> Kodak = new("--kodak") { Description = "Evaluation images (PNG): each is coded as one layer at its original size.", Required = true, HelpName = "folder" };
    private static readonly Option<int> KodakCount = new("--kodak-count") { Description = "Evaluate the first n images (by name).", DefaultValueFactory = _ => 24 };
    private static readonly Option<string> Jsonl = new("--jsonl") { Description = "Experiments file to append one JSON line to (docs/training/experiments.jsonl in the repository).", Required = true, HelpName = "file" };
    private static readonly Option<string?> Plot = new("--plot") { Description = "Redraw this PNG from the whole experiments file afterwards (docs/training/experiments.png).", HelpName = "file" };
    private static readonly Option<string?> Label = new("--label") { Description = "Short name of the recipe in the file and the plot (default: preset, lr schedule, crop x batch, threads)." };
    private static readonly Option<string?> Note = new("--note") { Description = "Free text recorded with the run (what it tests)." };

    public static Command Create(TrainCliContext cli, TrainingOptions options, TrainingRunner runner)
    {
        var command = new Command("bench-recipe",
            "Train a single-layer codec (stage bl) with a recipe, usually for a fixed --budget-minutes or --budget-cpu-minutes, " +
            "then code the --kodak images as one-layer streams and append bpp, PSNR, cost and the distance to the JPEG / JPEG 2000 curves to --jsonl.");
        foreach (var o in options.Shared) command.Options.Add(o);
        foreach (var o in new Option[] { Kodak, KodakCount, Jsonl, Plot, Label, Note }) command.Options.Add(o);
        KodakCount.Validators.Add(r => { try { if (r.GetValueOrDefault<int>() < 1) r.AddError("--kodak-count must be at least 1."); } catch (InvalidOperationException) { } });
        command.Validators.Add(options.ValidateCombination);
        command.SetAction(parse =>
        {
            if (!Directory.Exists(parse.GetValue(Kodak)))
            {
                return cli.Fail($"no such folder '{parse.GetValue(Kodak)}'.");
            }
            var settings = options.Settings(parse);
            int others = RecipeRecord.OtherTrainingRuns();
            // A run that starts from earlier weights also cost their training: recorded from the checkpoints' headers
            // or, for compact weights, from their model card.
            double? initCpuSeconds = null;
            foreach (var spec in settings.Init)
            {
                var file = spec.Contains('=', StringComparison.Ordinal) ? spec[(spec.IndexOf('=', StringComparison.Ordinal) + 1)..] : spec;
                if (BaseLayerCost(file) is { } cost) initCpuSeconds = (initCpuSeconds ?? 0) + cost;
                else cli.Error.WriteLine($"{TrainCliContext.Name}: warning: '{file}' records no training cost (neither a checkpoint nor weights with a card); its hours are not counted.");
            }
            int code = runner.Run(settings, out var summary);
            if (code != ExitCodes.Success || summary?.LastCheckpoint is null) return code;
            others = Math.Max(others, RecipeRecord.OtherTrainingRuns());
            var label = parse.GetValue(Label) ?? string.Create(CultureInfo.InvariantCulture,
                $"{settings.Preset} {settings.Schedule} {settings.Crop}x{settings.Batch} t{settings.Threads}");
            return Record(cli, summary.LastCheckpoint, label, parse.GetValue(Note), others, parse.GetValue(Kodak)!, parse.GetValue(KodakCount),
                parse.GetValue(Jsonl)!, parse.GetValue(Plot), initCpuSeconds);
        });
        return command;
    }

    public static Command CreateRecord(TrainCliContext cli)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A bl checkpoint (.ckpt) whose header records the run (steps, wall and CPU time).", Required = true, HelpName = "file" };
        var runs = new Option<int?>("--concurrent-runs") { Description = "Training runs that shared the machine with it (recorded; default: those running now)." };
        var command = new Command("record-recipe", "Measure an existing single-layer (bl) checkpoint on Kodak with real bitstreams and append it to the experiments file, like bench-recipe.");
        foreach (var o in new Option[] { checkpoint, runs, Kodak, KodakCount, Jsonl, Plot, Label, Note }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(checkpoint)!;
            if (!File.Exists(path) || !Directory.Exists(parse.GetValue(Kodak)))
            {
                return cli.Fail($"no such file '{path}' or folder '{parse.GetValue(Kodak)}'.");
            }
            return Record(cli, path, parse.GetValue(Label) ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? "run",
                parse.GetValue(Note), parse.GetValue(runs) ?? RecipeRecord.OtherTrainingRuns(), parse.GetValue(Kodak)!, parse.GetValue(KodakCount),
                parse.GetValue(Jsonl)!, parse.GetValue(Plot));
        });
        return command;
    }

    public static Command CreatePlot(TrainCliContext cli)
    {
        var command = new Command("plot-recipes", "Redraw the experiments plot (Kodak dB above the JPEG and JPEG 2000 curves against training CPU-hours) from --jsonl.");
        var plot = new Option<string>("--out") { Description = "The PNG to write (docs/training/experiments.png).", Required = true, HelpName = "file" };
        command.Options.Add(Jsonl);
        command.Options.Add(plot);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(Jsonl)!;
            try
            {
                ExperimentsPlot.Render(RecipeRecord.ReadAll(path), parse.GetValue(plot)!);
                cli.Output.WriteLine($"plot: {parse.GetValue(plot)}");
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                return cli.Fail(ex.Message);
            }
        });
        return command;
    }

    private static int Record(TrainCliContext cli, string checkpointPath, string label, string? note, int concurrentRuns,
        string kodak, int kodakCount, string jsonl, string? plot, double? initCpuSeconds = null)
    {
        var output = cli.Output;
        try
        {
            using var weights = CompassWeights.Load(checkpointPath);
            var header = weights.Header ?? throw new CompassFormatException($"'{checkpointPath}' is not a checkpoint (no header): it records no run.");
            if (header.Run.Stage != TrainingStage.BaseLayer)
                throw new CompassFormatException($"'{checkpointPath}' is a '{header.Run.Stage.NameOf()}' checkpoint; recipes are measured on single-layer (bl) runs.");

            // A variable-rate codec is measured at every level, one line each (its cost is that of the whole ladder).
            var levels = weights.BaseCodec.IsVariableRate ? weights.BaseCodec.RateQualities.Select(q => (double?)q).ToList() : [null];
            foreach (var level in levels)
            {
                using var folded = level is { } fold ? weights.BaseCodec.FoldRateLevel(fold) : null;
                // A run records whole qualities; a level below 1 (or between two) is known by its lambda alone.
                var levelHeader = level is { } lq
                    ? header with { Run = header.Run with { Quality = lq == Math.Floor(lq) ? (int)lq : null, Lambda = RateLadder.LambdaOf(lq) } } : header;
                var levelLabel = level is { } ql ? $"{label} [q{RateLadder.Format(ql)}]" : label;
                var record = Measure(cli, folded ?? weights.BaseCodec, weights, levelHeader, levelLabel, note, concurrentRuns, kodak, kodakCount, checkpointPath, initCpuSeconds);
                RecipeRecord.Append(jsonl, record);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{levelLabel}: {header.Step} steps, {header.WallSeconds / 3600:F2} h wall, {header.CpuSeconds / 3600:F2} h CPU -> Kodak {record["kodak"]!["bpp"]} bpp / {record["kodak"]!["psnr"]} dB; " +
                    $"vs JPEG {record["vsAnchors"]!["jpeg-420"]!["dbAtEqualRate"]?.ToString() ?? "n/a"} dB, vs JPEG 2000 {record["vsAnchors"]!["jpeg2000"]!["dbAtEqualRate"]?.ToString() ?? "n/a"} dB at equal rate; appended to {jsonl}"));
            }
            if (plot is not null)
            {
                ExperimentsPlot.Render(RecipeRecord.ReadAll(jsonl), plot);
                output.WriteLine($"plot: {plot}");
            }
            return ExitCodes.Success;
        }
        catch (OperationCanceledException)
        {
            cli.Error.WriteLine($"{TrainCliContext.Name}: cancelled; nothing recorded.");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (ex is CompassFormatException or IOException or JsonException or UnauthorizedAccessException)
        {
            return cli.Fail(ex.Message);
        }
    }

    /// <summary>
    /// CPU seconds that trained a file's base codec: a checkpoint's header, else its card's: a bl trainer card's own
    /// <c>cpuSeconds</c>, or the sum over the <c>bl</c> entries of a shipped card's <c>stages</c>. Null when neither says.
    /// </summary>
    internal static double? BaseLayerCost(string file)
    {
        try { return Checkpoint.Load(file).Header.CpuSeconds; }
        catch (Exception ex) when (ex is CompassFormatException or IOException) { }
        var cardPath = CheckpointStore.CardPathFor(file);
        if (!File.Exists(cardPath)) return null;
        try
        {
            using var card = JsonDocument.Parse(File.ReadAllBytes(cardPath));
            var root = card.RootElement;
            if (root.TryGetProperty("stages", out var stages) && stages.ValueKind == JsonValueKind.Array)
            {
                double sum = 0;
                bool any = false;
                foreach (var st in stages.EnumerateArray())
                    if (st.TryGetProperty("stage", out var name) && name.ValueEquals(TrainingStage.BaseLayer.NameOf()) && st.TryGetProperty("cpuSeconds", out var cpu) && cpu.TryGetDouble(out var c))
                    {
                        sum += c;
                        any = true;
                    }
                return any ? sum : null;
            }
            // A trainer's card describes one stage: only a bl card's time is the base codec's.
            return root.TryGetProperty("stage", out var stage) && stage.ValueEquals(TrainingStage.BaseLayer.NameOf())
                && root.TryGetProperty("cpuSeconds", out var own) && own.TryGetDouble(out var seconds) ? seconds : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Exports <paramref name="baseCodec"/> to a temporary bundle, codes the Kodak images with it and builds the record.</summary>
    private static System.Text.Json.Nodes.JsonObject Measure(TrainCliContext cli, MeanScaleHyperprior baseCodec, CompassWeights weights, CheckpointHeader header,
        string label, string? note, int concurrentRuns, string kodak, int kodakCount, string checkpointPath, double? initCpuSeconds)
    {
        // Only the base codec is measured (one-layer streams); the bundle carries the checkpoint's
        // untrained LIFF and residual codec because a bundle always has all three networks.
        var bundleFolder = Path.Combine(Path.GetTempPath(), $"compass-recipe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            BundleExporter.Export(baseCodec, weights.Liff, weights.ResidualCodec, new BundleExportOptions
            {
                Name = $"recipe-{header.Run.Preset}-bl-only",
                Preset = header.Run.Preset,
                Quality = header.Run.Quality ?? 1,
                Lambda = header.Run.Lambda,
                Zip = true,
            }, bundleFolder);
            cli.Output.WriteLine($"Kodak, one layer at the original size ({kodakCount} images at most){(header.Run.Quality is { } q ? $", quality {q}" : "")}:");
            var points = KodakSingleLayer.Evaluate(bundleFolder + ".zip", kodak, kodakCount, cli.Output, cli.Cancel);
            return RecipeRecord.Create(label, note, header, baseCodec.N, baseCodec.M, concurrentRuns, points, kodak, checkpointPath, initCpuSeconds);
        }
        finally
        {
            if (Directory.Exists(bundleFolder)) Directory.Delete(bundleFolder, recursive: true);
            if (File.Exists(bundleFolder + ".zip")) File.Delete(bundleFolder + ".zip");
        }
    }
}
