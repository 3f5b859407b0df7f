using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Compass.Training.Export;
using Compass.Training.Modules;
using Compass.Training.Training;

namespace Compass.Training.Cli;

/// <summary>
/// <c>compass-train export</c>: turns a checkpoint or compact-weights file of a COMPASS model (keys
/// <c>base.*</c>, <c>liff.*</c>, <c>residual.*</c>) into a model bundle folder (and optionally a zip).
/// </summary>
internal static class ExportCommand
{
    public static Command Create(TrainCliContext cli)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint (.ckpt), compact-weights file or model bundle (folder or zip written by this tool) of a COMPASS model.", Required = true, HelpName = "file" };
        var outFolder = new Option<string>("--out") { Description = "The bundle folder to write.", Required = true, HelpName = "folder" };
        var zip = new Option<bool>("--zip") { Description = "Also write <out>.zip (the form OnnxCompassModel.Load and the embedded default model take)." };
        var quality = new Option<int?>("--quality", "-q") { Description = "Quality level of the bundle (default: the checkpoint's, else required)." };
        var lambda = new Option<double?>("--lambda") { Description = "Rate-distortion lambda recorded in the manifest (default: the checkpoint's)." };
        var name = new Option<string?>("--name") { Description = "Bundle name (default: compass-<preset>-q<quality>)." };
        var preset = new Option<string?>("--preset") { Description = "Preset recorded in the manifest (default: the checkpoint's, else 'custom')." };
        var take = new Option<string[]>("--take")
        {
            Description = "Replace a child with another file's: base=<file>, liff=<file> or residual=<file> (checkpoint or compact weights). Repeatable; e.g. a longer-trained base layer with a joint run's LIFF and residual codec.",
            HelpName = "child=file",
            AllowMultipleArgumentsPerToken = false,
        };
        var card = new Option<string?>("--card") { Description = "Model card JSON to embed (default: the checkpoint's <name>.card.json when present).", HelpName = "file" };
        var level = new Option<int?>("--level") { Description = "Variable-rate models (train --variable-rate): export one level as a single-rate bundle, its learned quantisation steps folded into the graphs; --quality and --lambda default to it. Without it, a variable-rate model is exported whole, as one variable-rate (format 2) bundle." };
        var deriveSteps = new Option<int?>("--derive-steps")
        {
            Description = "A variable-rate model whose other codec is single-rate (e.g. a variable-rate base layer with a single-rate residual codec): the quality that codec was trained at; its steps at the anchors are derived by the rule logStep(q) = 0.5 ln(lambda_ref / lambda_q), and the card says so.",
            HelpName = "quality",
        };
        var noCard = new Option<bool>("--no-card") { Description = "Embed no card (e.g. to measure a bundle before its card, which holds the measurements, exists)." };
        quality.Validators.Add(r =>
        {
            try { if (r.GetValueOrDefault<int?>() is int q && !Quality.IsValid(q)) r.AddError($"--quality: {Quality.RangeMessage(q)}"); }
            catch (InvalidOperationException) { }
        });

        var command = new Command("export", "Export a trained COMPASS model to an ONNX model bundle (graphs, entropy tables, manifest, card).");
        foreach (var o in new Option[] { checkpoint, outFolder, zip, quality, lambda, name, preset, card, noCard, take, level, deriveSteps }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(checkpoint)!;
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                return cli.Fail($"no such file '{path}'.");
            }
            try
            {
                var replacements = new List<(string, string)>();
                foreach (var spec in parse.GetValue(take) ?? [])
                {
                    int eq = spec.IndexOf('=');
                    var child = eq > 0 ? spec[..eq] : "";
                    var file = eq > 0 ? spec[(eq + 1)..] : "";
                    if (!CompassNetwork.ChildNames.Contains(child) || file.Length == 0)
                    {
                        return cli.Fail($"--take '{spec}': use base=<file>, liff=<file> or residual=<file>.");
                    }
                    if (!File.Exists(file) && !Directory.Exists(file))
                    {
                        return cli.Fail($"no such file '{file}'.");
                    }
                    replacements.Add((child, file));
                }
                using var weights = CompassWeights.Load(path, replacements);
                var run = weights.Header?.Run;
                int? rateLevel = parse.GetValue(level);
                var baseCodec = weights.BaseCodec;
                var residualCodec = weights.ResidualCodec;
                bool variableRate = baseCodec.IsVariableRate || residualCodec.IsVariableRate;
                // Codecs with different levels (a grown base codec with a 1..8 residual codec) export anchors at their union.
                var levels = variableRate ? BundleExporter.AnchorQualities(baseCodec, residualCodec) : [];
                var levelText = string.Join(", ", levels.Select(RateLadder.Format));
                if (rateLevel is not null && !variableRate)
                {
                    return cli.Fail($"--level applies to variable-rate models; '{path}' is single-rate.");
                }
                if (rateLevel is { } lv && !levels.Contains(lv))
                {
                    return cli.Fail($"--level {lv}: the model's levels are qualities {levelText}.");
                }
                var presetName = parse.GetValue(preset) ?? (string.IsNullOrEmpty(run?.Preset) ? "custom" : run.Preset);
                var cardJson = parse.GetValue(noCard) ? null : ReadCard(parse.GetValue(card), path);
                var folder = parse.GetValue(outFolder)!;
                if (variableRate && rateLevel is null)
                {
                    // The whole model: one format-2 bundle, graphs at step 1, both codecs' steps in the rate anchors.
                    var derive = parse.GetValue(deriveSteps);
                    if (baseCodec.IsVariableRate != residualCodec.IsVariableRate && derive is null)
                    {
                        return cli.Fail(
                            $"'{path}': the {(baseCodec.IsVariableRate ? "base" : "residual")} codec is variable-rate (qualities {levelText}), the {(baseCodec.IsVariableRate ? "residual" : "base")} codec single-rate; " +
                            "give --derive-steps <the quality it was trained at> to derive its steps by the rule, or --level <quality> to export one level.");
                    }
                    if (derive is { } d && (d < 1 || d > RateLadder.Lambdas.Count))
                    {
                        return cli.Fail($"--derive-steps {d}: qualities are 1..{RateLadder.Lambdas.Count}.");
                    }
                    var rateOptions = new BundleExportOptions
                    {
                        Name = parse.GetValue(name) ?? $"compass-{presetName}-q{RateLadder.Format(levels.Min())}-{RateLadder.Format(levels.Max())}",
                        Preset = presetName,
                        DeriveStepsFromQuality = baseCodec.IsVariableRate && residualCodec.IsVariableRate ? null : derive,
                        Card = cardJson,
                        Zip = parse.GetValue(zip),
                    };
                    var rateManifest = BundleExporter.Export(baseCodec, weights.Liff, residualCodec, rateOptions, folder);
                    cli.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"wrote variable-rate bundle '{rateManifest.Name}' (qualities {rateManifest.Rate!.QualityMin}..{rateManifest.Rate.QualityMax}, {rateManifest.Files.Count} files) to {Path.GetFullPath(folder)}{(rateOptions.Zip ? " and .zip" : "")}"));
                    return ExitCodes.Success;
                }
                if (parse.GetValue(deriveSteps) is not null)
                {
                    return cli.Fail("--derive-steps applies to a whole variable-rate model (without --level).");
                }
                using var foldedBase = rateLevel is { } foldAt && baseCodec.IsVariableRate ? baseCodec.FoldRateLevel(foldAt) : null;
                using var foldedResidual = rateLevel is { } foldResidualAt && residualCodec.IsVariableRate ? residualCodec.FoldRateLevel(foldResidualAt) : null;
                int? q = parse.GetValue(quality) ?? rateLevel ?? run?.Quality;
                if (q is null)
                {
                    return cli.Fail("the weights record no quality level; give --quality.");
                }
                var options = new BundleExportOptions
                {
                    Name = parse.GetValue(name) ?? $"compass-{presetName}-q{q}",
                    Preset = presetName,
                    Quality = q.Value,
                    Lambda = parse.GetValue(lambda) ?? (rateLevel is { } rl ? RateLadder.LambdaOf(rl) : run?.Lambda),
                    Card = cardJson,
                    Zip = parse.GetValue(zip),
                };
                var manifest = BundleExporter.Export(foldedBase ?? baseCodec, weights.Liff, foldedResidual ?? residualCodec, options, folder);
                cli.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"wrote bundle '{manifest.Name}' (quality {q}, {manifest.Files.Count} files) to {Path.GetFullPath(folder)}{(options.Zip ? " and .zip" : "")}"));
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is CompassFormatException or JsonException or IOException or ArgumentException)
            {
                return cli.Fail(ex.Message);
            }
        });
        return command;
    }

    private static JsonElement? ReadCard(string? cardPath, string weightsPath)
    {
        // A bundle carries its card in its manifest.
        if (cardPath is null && (Directory.Exists(weightsPath) || weightsPath.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)))
            return Bundles.ModelBundle.Load(weightsPath).Manifest.Card;
        var path = cardPath ?? CheckpointStore.CardPathFor(weightsPath);
        if (!File.Exists(path))
        {
            if (cardPath is not null) throw new IOException($"No card file '{cardPath}'.");
            return null;
        }
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? document.RootElement.Clone()
            : throw new JsonException($"The card '{path}' is not a JSON object.");
    }
}
