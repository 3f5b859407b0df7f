using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Compass.Training.Export;
using Compass.Training.Modules;
using Compass.Training.Refinement;
using Compass.Training.Runtime;
using TorchSharp;

namespace Compass.Training.Cli;

/// <summary>
/// <c>compass-train refine</c>: measures encoder effort (docs/encoder-effort.md), what refining the base codec's latents by
/// gradient steps buys on real images, single-layer, against the unrefined codec's own rate-distortion curve.
/// </summary>
internal static class RefineCommand
{
    public static Command Create(TrainCliContext cli)
    {
        var model = new Option<string>("--model", "-m") { Description = "A variable-rate model: bundle (folder or zip, with its training state, e.g. src/Compass.Onnx/Models/default.zip), checkpoint or compact-weights file.", Required = true, HelpName = "path" };
        var images = new Option<string[]>("--images") { Description = "Image files or folders (a folder's .png files in name order).", Required = true, AllowMultipleArgumentsPerToken = true, HelpName = "path" };
        var count = new Option<int?>("--count") { Description = "Only the first N images." };
        var qualities = new Option<string>("--quality", "-q") { Description = "Whole qualities to refine at, comma-separated (each a rate level of the model).", DefaultValueFactory = _ => "3" };
        var steps = new Option<string>("--steps") { Description = "Step counts to report, ascending, comma-separated.", DefaultValueFactory = _ => "10,50,200" };
        var methods = new Option<string>("--method") { Description = "sga (stochastic Gumbel annealing; each count its own run, annealed to its end) and/or ste (straight-through rounding; one run reports every count), comma-separated.", DefaultValueFactory = _ => "sga" };
        var lr = new Option<double>("--lr") { Description = "Adam's learning rate on the latents.", DefaultValueFactory = _ => 5e-3 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => 1 };
        var seed = new Option<long>("--seed") { Description = "Seed of SGA's Gumbel noise.", DefaultValueFactory = _ => 0 };
        var crop = new Option<int?>("--crop") { Description = "Refine the centred NxN crop of each image (quick runs)." };
        var curve = new Option<string>("--curve") { Description = "Quality offsets of the unrefined reference curve around each quality (the dB-at-equal-rate reference), comma-separated.", DefaultValueFactory = _ => "-1,-0.5,0.5,1" };
        var anneal = new Option<string>("--anneal")
        {
            Description = "sga: per-count (each step count its own run, annealed to its end: what that budget buys) or shared (one run of the largest count, annealed to its end, evaluated on the way: cheaper, and the smaller counts see a warmer temperature).",
            DefaultValueFactory = _ => "per-count",
        };
        anneal.AcceptOnlyFromAmong("per-count", "shared");
        var json = new Option<string?>("--json") { Description = "Write every measurement as JSON to this file.", HelpName = "file" };
        OptionValidation.Positive(lr);
        OptionValidation.AtLeast(threads, 1);
        OptionValidation.AtLeast(count, 1);
        OptionValidation.AtLeast(crop, 16);

        var command = new Command("refine",
            "Measure encoder effort: refine the base codec's latents y and z by Adam steps on the rate-distortion objective (networks frozen), " +
            "evaluate them as the decoder would (hard rounding, discrete likelihoods, 8-bit PSNR) and compare with the unrefined codec at neighbouring qualities.");
        foreach (var o in new Option[] { model, images, count, qualities, steps, methods, anneal, lr, threads, seed, crop, curve, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            if (!TryInts(parse.GetValue(qualities)!, out var qs) || qs.Any(q => q < 1 || q > RateLadder.Lambdas.Count))
                return cli.Fail($"--quality: give whole qualities 1..{RateLadder.Lambdas.Count}, comma-separated.");
            if (!TryInts(parse.GetValue(steps)!, out var counts) || counts.Count == 0 || counts[0] < 1 || counts.Zip(counts.Skip(1)).Any(p => p.First >= p.Second))
                return cli.Fail("--steps: give step counts of at least 1, ascending, comma-separated (e.g. 10,50,200).");
            var methodList = new List<RefinementMethod>();
            foreach (var m in parse.GetValue(methods)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!Enum.TryParse<RefinementMethod>(m, ignoreCase: true, out var method) || !Enum.IsDefined(method))
                    return cli.Fail($"--method: '{m}' is neither sga nor ste.");
                methodList.Add(method);
            }
            var offsets = new List<double>();
            foreach (var o in parse.GetValue(curve)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!double.TryParse(o, NumberStyles.Float, CultureInfo.InvariantCulture, out var offset) || offset == 0 || !double.IsFinite(offset))
                    return cli.Fail($"--curve: '{o}' is not a non-zero quality offset.");
                offsets.Add(offset);
            }
            var files = new List<string>();
            foreach (var path in parse.GetValue(images)!)
            {
                if (Directory.Exists(path)) files.AddRange(Directory.GetFiles(path, "*.png").Order(StringComparer.Ordinal));
                else if (File.Exists(path)) files.Add(path);
                else return cli.Fail($"--images: no such file or folder '{path}'.");
            }
            if (parse.GetValue(count) is { } n) files = files.Take(n).ToList();
            if (files.Count == 0) return cli.Fail("--images: no .png images found.");
            var modelPath = parse.GetValue(model)!;
            if (!File.Exists(modelPath) && !Directory.Exists(modelPath)) return cli.Fail($"--model: no such file '{modelPath}'.");
            try
            {
                return Run(cli, modelPath, files, qs, counts, methodList, offsets, parse.GetValue(anneal) == "shared", parse.GetValue(lr), parse.GetValue(threads), parse.GetValue(seed), parse.GetValue(crop), parse.GetValue(json));
            }
            catch (Exception ex) when (ex is CompassFormatException or ArgumentException or IOException)
            {
                return cli.Fail(ex.Message);
            }
        });
        return command;
    }

    private static int Run(TrainCliContext cli, string modelPath, List<string> files, List<int> qualities, List<int> counts, List<RefinementMethod> methods,
        List<double> offsets, bool sharedAnnealing, double lr, int threads, long seed, int? crop, string? jsonPath)
    {
        var output = cli.Output;
        output.WriteLine($"convolutions: {TorchCpu.Describe()}");
        torch.set_num_threads(threads);
        using var weights = CompassWeights.Load(modelPath);
        var codec = weights.BaseCodec;
        if (!codec.IsVariableRate) return cli.Fail($"'{modelPath}': the base codec is single-rate; refine measures a variable-rate model (its qualities give the reference curve).");
        foreach (var q in qualities.Where(q => !codec.RateQualities.Contains(q)))
            return cli.Fail($"--quality {q}: the model's levels are qualities {string.Join(", ", codec.RateQualities)}.");
        var levelSteps = LevelSteps.FromModel(modelPath, codec);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model {modelPath}: base codec N={codec.N} M={codec.M}, qualities {levelSteps.QualityMin}..{levelSteps.QualityMax}; {files.Count} image(s), {threads} thread(s), lr {lr}"));
        output.WriteLine("image        q  method steps    bpp     PSNR    loss  dB@rate  dbpp%  s/step");
        var rows = new List<RefinementRow>();
        var total = Stopwatch.StartNew();
        foreach (var file in files)
        {
            using var image = RefinementImage.Load(file, crop);
            string name = Path.GetFileName(file);
            foreach (int q in qualities)
            {
                double lambda = RateLadder.LambdaOf(q);
                // The unrefined codec at neighbouring qualities: the curve the refined points are compared with.
                var reference = new List<(double Quality, LatentEvaluation Point)>();
                foreach (double rq in offsets.Select(o => q + o).Append(q).Where(v => v >= levelSteps.QualityMin && v <= levelSteps.QualityMax).Order())
                {
                    using var probe = new LatentRefiner(codec, levelSteps.StepAt(rq), lambda);
                    var (y, z) = probe.Analyze(image);
                    using (y)
                    using (z)
                        reference.Add((rq, probe.Evaluate(image, y, z)));
                }
                var rateCurve = new RateCurve(reference.Select(r => (r.Point.Bpp, r.Point.Psnr)));
                var unrefined = reference.Single(r => r.Quality == q).Point;
                using var refiner = new LatentRefiner(codec, levelSteps.StepAt(q), lambda);
                Report(RefinementRow.Of(name, q, "none", unrefined, unrefined, rateCurve));
                foreach (var method in methods)
                {
                    var results = new List<LatentEvaluation>();
                    if (method == RefinementMethod.Ste || sharedAnnealing)
                    {
                        results.AddRange(refiner.Refine(image, new RefinementOptions { Method = method, Steps = counts, LearningRate = lr, Seed = seed }, cli.Cancel).Skip(1));
                    }
                    else
                    {
                        // The temperature anneals to its end over the run: each count is its own run.
                        foreach (int c in counts)
                            results.Add(refiner.Refine(image, new RefinementOptions { Method = method, Steps = [c], LearningRate = lr, Seed = seed }, cli.Cancel)[^1]);
                    }
                    foreach (var r in results) Report(RefinementRow.Of(name, q, method.ToString().ToLowerInvariant(), r, unrefined, rateCurve));
                }
                rows.Add(RefinementRow.Of(name, q, "curve", unrefined, unrefined, rateCurve) with
                {
                    Curve = [.. reference.Select(r => new CurvePoint(r.Quality, r.Point.Bpp, r.Point.Psnr))],
                });
            }
        }
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"means over {files.Count} image(s) (total {total.Elapsed.TotalSeconds:F0} s):"));
        output.WriteLine("q  method steps    bpp     PSNR  dB@rate  dbpp%  s/step  n");
        var summary = rows.Where(r => r.Method is not "curve").GroupBy(r => (r.Quality, r.Method, r.Steps)).Select(g => new RefinementSummary(
            g.Key.Quality, g.Key.Method, g.Key.Steps, g.Average(r => r.Bpp), g.Average(r => r.Psnr), g.Average(r => r.GainDb), g.Average(r => r.DeltaBppPercent),
            g.Average(r => r.SecondsPerStep), g.Count())).ToList();
        foreach (var s in summary)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Quality,-2} {s.Method,-6} {s.Steps,5} {s.Bpp,7:F4} {s.Psnr,7:F3} {s.GainDb,8:F3} {s.DeltaBppPercent,6:F2} {s.SecondsPerStep,7:F3} {s.Images,2}"));
        if (jsonPath is not null)
        {
            var document = new
            {
                model = modelPath,
                threads,
                learningRate = lr,
                seed,
                crop,
                annealing = sharedAnnealing ? "shared" : "per-count",
                convolutions = TorchCpu.Describe(),
                rows,
                summary,
            };
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            output.WriteLine($"wrote {jsonPath}");
        }
        return ExitCodes.Success;

        void Report(RefinementRow row)
        {
            rows.Add(row);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{row.Image,-12} {row.Quality,-2} {row.Method,-6} {row.Steps,5} {row.Bpp,7:F4} {row.Psnr,7:F3} {row.Loss,7:F4} {row.GainDb,8:F3} {row.DeltaBppPercent,6:F2} {row.SecondsPerStep,7:F3}"));
        }
    }

    private static bool TryInts(string spec, out List<int> values)
    {
        values = [];
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) return false;
            values.Add(v);
        }
        return values.Count > 0;
    }

    /// <summary>One measured point: an image at a quality after some steps of one method ("none": unrefined).</summary>
    private sealed record RefinementRow(string Image, int Quality, string Method, int Steps, double Bpp, double BppY, double BppZ, double Psnr, double Loss,
        double Seconds, double SecondsPerStep, double GainDb, double DeltaBppPercent, double LossChange)
    {
        public IReadOnlyList<CurvePoint>? Curve { get; init; }

        public static RefinementRow Of(string image, int quality, string method, LatentEvaluation e, LatentEvaluation unrefined, RateCurve curve)
        {
            double bppAtPsnr = curve.BppAt(e.Psnr);
            return new RefinementRow(image, quality, method, e.Steps, e.Bpp, e.BppY, e.BppZ, e.Psnr, e.Loss, e.Seconds, e.Steps == 0 ? 0 : e.Seconds / e.Steps,
                e.Psnr - curve.PsnrAt(e.Bpp), 100 * ((e.Bpp / bppAtPsnr) - 1), e.Loss - unrefined.Loss);
        }
    }

    private sealed record CurvePoint(double Quality, double Bpp, double Psnr);

    private sealed record RefinementSummary(int Quality, string Method, int Steps, double Bpp, double Psnr, double GainDb, double DeltaBppPercent, double SecondsPerStep, int Images);
}
