using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Compass.Training.Cli.Recipes;
using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Runtime;
using Compass.Training.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Compass.Training.Cli;

/// <summary>The compass-train command line: parsing, validation and the train action.</summary>
internal static class CompassTrainCli
{
    private const string Name = "compass-train";

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var cli = new Cli(output, error, loggerFactory, cancellationToken);
        var parse = cli.Root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine($"{Name}: error: {e.Message}");
            error.WriteLine($"Try '{Name} {(args.Length > 0 && args[0] == "train" ? "train " : "")}--help'.");
            return ExitCodes.InvalidArguments;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>The command tree (exposed for tests and help).</summary>
    internal sealed class Cli
    {
        private readonly TextWriter _output, _error;
        private readonly ILoggerFactory? _loggerFactory;
        private readonly CancellationToken _cancel;

        public RootCommand Root { get; }
        public Command Train { get; }
        public Command BenchRecipe { get; }
        internal TextWriter Output => _output;
        internal TextWriter Error => _error;
        internal CancellationToken Cancel => _cancel;

        /// <summary>The options of <c>train</c> that <c>bench-recipe</c> shares (all but --stage and --layers).</summary>
        internal IEnumerable<Option> SharedTrainingOptions() =>
        [
            _preset, _quality, _lambda, _steps, _budgetMinutes, _budgetCpuMinutes, _crop, _batch, _lr, _schedule, _warmup, _auxLr, _clip,
            _seed, _data, _val, _valCount, _valCrop, _valEvery, _out, _resume, _threads, _logEvery, _ckptEvery, _ckptMinutes, _keep, _upscaleSmall, _init, _resumeWeights, _variableRate,
        ];

        private readonly Option<string> _stage = new("--stage")
        {
            Description = "Training stage: bl (base-layer codec), liff (LIFF as arbitrary-scale super-resolution), residual (residual codec with a bicubic predictor), joint (LIFF + residual codec, BL frozen), smoke (tiny toy model that tests the plumbing).",
            Required = true,
            HelpName = "bl|liff|residual|joint|smoke",
        };
        private readonly Option<string> _preset = new("--preset")
        {
            Description = "Model size: paper (codecs N=128, M=192, paper LIFF), compact (codecs N=64, M=96, small LIFF) or slim (codecs N=48, M=72, compact LIFF); compact-sgdn and compact-relu are compact with simplified GDN or ReLU in the codecs; see docs/training.md.", DefaultValueFactory = _ => "compact", HelpName = "paper|compact|slim|compact-sgdn|compact-relu",
        };
        private readonly Option<int?> _quality = new("--quality", "-q") { Description = "Rate point 1..8 on CompressAI's lambda ladder (0.0018 ... 0.18). Exclusive with --lambda." };
        private readonly Option<double?> _lambda = new("--lambda") { Description = "Rate-distortion lambda (loss = bits/px + lambda * 255^2 * MSE). Exclusive with --quality." };
        private readonly Option<long?> _steps = new("--steps") { Description = "Total training steps (a resumed run continues up to this). Required unless a budget is given." };
        private readonly Option<double?> _budgetMinutes = new("--budget-minutes") { Description = "Train for this many wall-clock minutes (whole run, resumes included); the lr schedule then follows the fraction of the budget used." };
        private readonly Option<double?> _budgetCpuMinutes = new("--budget-cpu-minutes") { Description = "Like --budget-minutes, in CPU minutes of the process (fair when other work shares the machine)." };
        private readonly Option<int?> _crop = new("--crop") { Description = "Side of the square random training crops, pixels (default: 128 for bl and residual, 96 for liff and joint; see docs/training.md)." };
        private readonly Option<int?> _batch = new("--batch") { Description = "Crops per batch (default: 8 for bl and residual, 4 for liff and joint)." };
        private readonly Option<string> _liffInput = new("--liff-input")
        {
            Description = "Stage liff: what the first enhancement layer is predicted from: clean (the downscaled image), decoded (the base-layer codec's " +
                          "reconstruction; needs --init base=<bl output>) or auto (decoded when --init loads a trained base layer, else clean; see docs/training.md).",
            DefaultValueFactory = _ => "auto", HelpName = "auto|clean|decoded",
        };
        private readonly Option<string?> _variableRate = new("--variable-rate")
        {
            Description = "Stage bl: train one variable-rate codec for several qualities (e.g. 1-4 or 1,2,3,4) with a learned quantisation step per quality, one quality drawn per batch (METHOD.md section 4); --quality names the level reported in validation and must be one of them. Export one level with 'export --level'.",
            HelpName = "qualities",
        };
        private readonly Option<int?> _layers = new("--layers") { Description = "Layers per training batch, base layer included (default: 1 for bl, 3 otherwise: BL 0.25, EL1 ~ U(0.25,0.5), EL2 ~ U(0.5,1) of the crop)." };
        private readonly Option<double> _lr = new("--lr") { Description = "Peak learning rate of the main Adam optimiser.", DefaultValueFactory = _ => 5e-4 };
        private readonly Option<string> _schedule = new("--lr-schedule")
        {
            Description = "constant | step[:at[:factor]] (multiply by factor from fraction 'at' of the run; default 0.75:0.2) | cosine[:final] (decay to final*lr).",
            DefaultValueFactory = _ => "step:0.75:0.2", HelpName = "schedule",
        };
        private readonly Option<long> _warmup = new("--warmup") { Description = "Linear learning-rate warm-up steps.", DefaultValueFactory = _ => 0 };
        private readonly Option<double> _auxLr = new("--aux-lr") { Description = "Learning rate of the auxiliary optimiser (entropy-bottleneck quantiles).", DefaultValueFactory = _ => 1e-3 };
        private readonly Option<double> _clip = new("--clip") { Description = "Gradient-norm clip of the main parameters; 0 disables.", DefaultValueFactory = _ => 1.0 };
        private readonly Option<long> _seed = new("--seed") { Description = "Seed of every random draw; resuming needs the same seed.", DefaultValueFactory = _ => 1 };
        private readonly Option<string> _data = new("--data") { Description = "Training image folder (PNG/JPEG, searched recursively, read in place).", Required = true, HelpName = "folder" };
        private readonly Option<string?> _val = new("--val") { Description = "Validation folder: the centre crops of its first images (by name) are evaluated periodically.", HelpName = "folder" };
        private readonly Option<int> _valCount = new("--val-count") { Description = "Validation images.", DefaultValueFactory = _ => 4 };
        private readonly Option<int> _valCrop = new("--val-crop") { Description = "Side of the validation centre crops.", DefaultValueFactory = _ => 256 };
        private readonly Option<long> _valEvery = new("--val-every") { Description = "Validate every n steps (and at the end); 0: only at the end.", DefaultValueFactory = _ => 500 };
        private readonly Option<string> _out = new("--out") { Description = "Checkpoint folder (keep it outside the repository).", Required = true, HelpName = "folder" };
        private readonly Option<bool> _resume = new("--resume") { Description = "Continue from the newest valid checkpoint in --out (starts at step 0 when there is none)." };
        private readonly Option<int> _threads = new("--threads")
        {
            // Measured (docs/training.md, run T1): one run with both cores of an idle 2-core machine gets 1.43x the steps per
            // wall-hour of one thread, and reached the JPEG curve within the hour; one thread is the most steps per CPU-hour.
            Description = "libtorch intra-op threads (default: all cores, the fastest single run on an idle machine; give 1 per run when several runs or other work share the machine: the most steps per CPU-hour).",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        private readonly Option<int> _logEvery = new("--log-every") { Description = "Progress line every n steps.", DefaultValueFactory = _ => 50 };
        private readonly Option<long> _ckptEvery = new("--checkpoint-every") { Description = "Checkpoint every n steps; 0: by time and at the end only.", DefaultValueFactory = _ => 1000 };
        private readonly Option<double> _ckptMinutes = new("--checkpoint-minutes") { Description = "Also checkpoint when this many minutes passed since the last one; 0 disables.", DefaultValueFactory = _ => 10 };
        private readonly Option<int> _keep = new("--keep") { Description = "Checkpoints kept in --out.", DefaultValueFactory = _ => 3 };
        private readonly Option<string?> _resumeWeights = new("--resume-weights")
        {
            Description = "Continue a run from its compact weights and card (model-f16.weights with model-f16.card.json beside it, e.g. a run kept in models/runs/) when its checkpoints are gone, such as on a new machine: the weights of the stage's children and the step (learning-rate schedule, data order, wall and CPU seconds) are restored; both optimisers restart. Stage, preset, lambda, variant and seed must match the card; a checkpoint in --out (with --resume) takes precedence.",
            HelpName = "model-f16.weights",
        };
        private readonly Option<string[]> _init = new("--init")
        {
            Description = "Initialise children from an earlier stage's checkpoint or model-f16.weights: [base|liff|residual[,...]=]file; without a prefix, the children that file's stage trained (bl: base, liff: liff, residual: residual); target:source copies another child, e.g. residual:base=<bl output> starts the residual codec from a trained base-layer codec. Repeatable; joint needs a trained base.",
            HelpName = "[children=]file", AllowMultipleArgumentsPerToken = false,
        };
        private readonly Option<bool> _upscaleSmall = new("--upscale-small") { Description = "Upscale images smaller than the crop instead of skipping them." };

        public Cli(TextWriter output, TextWriter error, ILoggerFactory? loggerFactory, CancellationToken cancel)
        {
            _output = output;
            _error = error;
            _loggerFactory = loggerFactory;
            _cancel = cancel;

            _stage.AcceptOnlyFromAmong(Stages.Names);
            _preset.AcceptOnlyFromAmong([.. CompassPresets.All.Select(p => p.Name)]);
            Positive(_steps, 1L);
            foreach (var o in new[] { _budgetMinutes, _budgetCpuMinutes })
                o.Validators.Add(r => { if (TryValue<double?>(r, out var v) && v is { } m && !(m > 0 && double.IsFinite(m))) r.AddError($"{r.Option.Name} must be positive."); });
            Positive(_batch, 1);
            Positive(_crop, 16);
            Positive(_threads, 1);
            Positive(_logEvery, 1);
            Positive(_valCount, 1);
            Positive(_valCrop, 16);
            Positive(_keep, 1);
            NonNegative(_warmup);
            NonNegative(_valEvery);
            NonNegative(_ckptEvery);
            _quality.Validators.Add(r => { if (TryValue<int?>(r, out var q) && q is < 1 or > 8) r.AddError("--quality must be 1..8."); });
            _lambda.Validators.Add(r => { if (TryValue<double?>(r, out var l) && l is { } v && !(v > 0 && double.IsFinite(v))) r.AddError("--lambda must be positive."); });
            _layers.Validators.Add(r => { if (TryValue<int?>(r, out var k) && k is < 1 or > 6) r.AddError("--layers must be 1..6."); });
            foreach (var o in new[] { _lr, _auxLr })
                o.Validators.Add(r => { if (TryValue<double>(r, out var v) && !(v > 0 && double.IsFinite(v))) r.AddError($"{r.Option.Name} must be positive."); });
            foreach (var o in new[] { _clip, _ckptMinutes })
                o.Validators.Add(r => { if (TryValue<double>(r, out var v) && !(v >= 0 && double.IsFinite(v))) r.AddError($"{r.Option.Name} must be 0 or positive."); });
            _schedule.Validators.Add(r =>
            {
                try { if (TryValue<string>(r, out var spec)) LearningRateSchedule.Parse(spec ?? "", 1e-3); }
                catch (FormatException ex) { r.AddError($"--lr-schedule: {ex.Message}"); }
            });

            Train = new Command("train", "Train one stage of a Compass model, with resumable checkpoints and a model card.");
            Train.Options.Add(_stage);
            foreach (var o in SharedTrainingOptions()) Train.Options.Add(o);
            Train.Options.Add(_layers);
            Train.Options.Add(_liffInput);
            _liffInput.AcceptOnlyFromAmong("auto", "clean", "decoded");
            Train.Validators.Add(ValidateCombination);
            Train.SetAction(Execute);
            BenchRecipe = BenchRecipeCommand.Create(this);

            Root = new RootCommand(
                "compass-train: trains Compass (COMPASS, ICCV 2023) models with TorchSharp on the CPU. " +
                "Exit codes: 0 done, 1 training or check failed, 2 invalid arguments or data (unusable --init or --resume files included), 130 cancelled (checkpoint written). " +
                "Set OMP_WAIT_POLICY=PASSIVE when the machine is shared.");
            Root.Subcommands.Add(Train);
            Root.Subcommands.Add(ExportCommand.Create(output, error));
            Root.Subcommands.Add(PackCommand.Create(output, error));
            Root.Subcommands.Add(CheckCpuCommand.Create(output, error));
            Root.Subcommands.Add(BenchRecipe);
            Root.Subcommands.Add(BenchRecipeCommand.CreateRecord(this));
            Root.Subcommands.Add(BenchRecipeCommand.CreatePlot(this));
        }

        /// <summary>
        /// The value of an option, or false when its token does not convert (the parser already
        /// reports that error; System.CommandLine throws if a validator reads such a value).
        /// </summary>
        private static bool TryValue<T>(OptionResult r, out T value)
        {
            try
            {
                value = r.GetValueOrDefault<T>()!;
                return true;
            }
            catch (InvalidOperationException)
            {
                value = default!;
                return false;
            }
        }

        internal void ValidateCombination(CommandResult r)
        {
            string? stage;
            int? quality;
            double? lambda;
            int? layersValue;
            try
            {
                stage = r.Command == Train ? r.GetValue(_stage) : "bl";
                quality = r.GetValue(_quality);
                lambda = r.GetValue(_lambda);
                layersValue = r.GetValue(_layers);
            }
            catch (InvalidOperationException)
            {
                return; // a value did not convert; that error is already reported
            }
            if (quality is not null && lambda is not null) r.AddError("--quality and --lambda are exclusive; give one.");
            else if (stage is not null && Stages.NeedsLambda(stage) && quality is null && lambda is null)
                r.AddError($"stage '{stage}' needs --quality or --lambda.");
            if (layersValue is { } layers && stage == "bl" && layers != 1) r.AddError("stage 'bl' trains a single layer: omit --layers or give 1.");
            if (r.Command == Train && stage != "liff" && r.GetResult(_liffInput) is { Implicit: false }) r.AddError("--liff-input applies to stage 'liff' only.");
            string? rateSpec;
            try { rateSpec = r.GetValue(_variableRate); }
            catch (InvalidOperationException) { return; }
            if (rateSpec is not null)
            {
                if (stage != "bl") r.AddError("--variable-rate applies to stage 'bl' only (the residual codec and joint training are single-rate).");
                else if (!TryParseQualities(rateSpec, out var levels, out var why)) r.AddError($"--variable-rate: {why}");
                else if (quality is null) r.AddError("--variable-rate needs --quality (not --lambda): the level reported in validation, one of the levels.");
                else if (!levels.Contains(quality.Value)) r.AddError($"--quality {quality} is not one of the --variable-rate levels ({string.Join(", ", levels)}).");
            }
            long? steps;
            double? budget, cpuBudget;
            try
            {
                steps = r.GetValue(_steps);
                budget = r.GetValue(_budgetMinutes);
                cpuBudget = r.GetValue(_budgetCpuMinutes);
            }
            catch (InvalidOperationException)
            {
                return;
            }
            if (budget is not null && cpuBudget is not null) r.AddError("--budget-minutes and --budget-cpu-minutes are exclusive; give one.");
            else if (steps is null && budget is null && cpuBudget is null) r.AddError("give --steps, --budget-minutes or --budget-cpu-minutes.");
        }

        private static void Positive<T>(Option<T> option, T min) where T : IComparable<T> =>
            option.Validators.Add(r => { if (TryValue<T>(r, out var v) && v.CompareTo(min) < 0) r.AddError($"{option.Name} must be at least {min}."); });

        private static void Positive<T>(Option<T?> option, T min) where T : struct, IComparable<T> =>
            option.Validators.Add(r => { if (TryValue<T?>(r, out var v) && v is { } value && value.CompareTo(min) < 0) r.AddError($"{option.Name} must be at least {min}."); });

        private static void NonNegative<T>(Option<T> option) where T : System.Numerics.INumber<T> =>
            option.Validators.Add(r => { if (TryValue<T>(r, out var v) && v < T.Zero) r.AddError($"{option.Name} must not be negative."); });

        internal TrainSettings Settings(ParseResult p, string? stageOverride = null)
        {
            var stage = stageOverride ?? p.GetValue(_stage)!;
            var budgetMinutes = p.GetValue(_budgetMinutes);
            var budgetCpuMinutes = p.GetValue(_budgetCpuMinutes);
            return new TrainSettings
            {
                Stage = stage,
                Preset = p.GetValue(_preset)!,
                Quality = p.GetValue(_quality),
                Lambda = p.GetValue(_lambda),
                // A budgeted run without --steps stops on its budget only.
                Steps = p.GetValue(_steps) ?? long.MaxValue / 2,
                Budget = budgetMinutes is { } wm ? new TrainingBudget(TimeSpan.FromMinutes(wm), BudgetClock.Wall)
                    : budgetCpuMinutes is { } cm ? new TrainingBudget(TimeSpan.FromMinutes(cm), BudgetClock.Cpu) : null,
                Crop = p.GetValue(_crop) ?? Stages.DefaultCrop(stage),
                Batch = p.GetValue(_batch) ?? Stages.DefaultBatch(stage),
                Layers = (p.CommandResult.Command == Train ? p.GetValue(_layers) : null) ?? Stages.DefaultLayers(stage),
                Schedule = LearningRateSchedule.Parse(p.GetValue(_schedule)!, p.GetValue(_lr), p.GetValue(_warmup)),
                AuxLearningRate = p.GetValue(_auxLr),
                Clip = p.GetValue(_clip),
                Seed = p.GetValue(_seed),
                Data = p.GetValue(_data)!,
                Validation = p.GetValue(_val),
                ValidationCount = p.GetValue(_valCount),
                ValidationCrop = p.GetValue(_valCrop),
                ValidateEvery = p.GetValue(_valEvery),
                Out = p.GetValue(_out)!,
                Resume = p.GetValue(_resume),
                Threads = p.GetValue(_threads),
                LogEvery = p.GetValue(_logEvery),
                CheckpointEvery = p.GetValue(_ckptEvery),
                CheckpointMinutes = p.GetValue(_ckptMinutes),
                Keep = p.GetValue(_keep),
                SmallImages = p.GetValue(_upscaleSmall) ? SmallImagePolicy.Upscale : SmallImagePolicy.Skip,
                Init = p.GetValue(_init) ?? [],
                ResumeWeights = p.GetValue(_resumeWeights),
                LiffInput = p.CommandResult.Command == Train ? p.GetValue(_liffInput)! : "clean",
                RateQualities = p.GetValue(_variableRate) is { } spec && TryParseQualities(spec, out var levels, out _) ? levels : [],
            };
        }

        /// <summary>Parses a list of distinct qualities 1..8: comma-separated values or ranges (<c>1-4</c>, <c>1,3,5</c>), at least two.</summary>
        internal static bool TryParseQualities(string spec, out IReadOnlyList<int> qualities, out string? why)
        {
            var list = new List<int>();
            qualities = list;
            why = null;
            foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var ends = part.Split('-', StringSplitOptions.TrimEntries);
                if (ends.Length > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                {
                    why = $"'{part}' is not a quality or a range of qualities (e.g. 1-4 or 1,2,3,4).";
                    return false;
                }
                int from = int.Parse(ends[0], CultureInfo.InvariantCulture), to = int.Parse(ends[^1], CultureInfo.InvariantCulture);
                if (from < 1 || to > RateLadder.Lambdas.Count || from > to)
                {
                    why = $"'{part}': qualities are 1..{RateLadder.Lambdas.Count}, in increasing order.";
                    return false;
                }
                for (int q = from; q <= to; q++) list.Add(q);
            }
            if (list.Count < 2 || list.Distinct().Count() != list.Count)
            {
                why = "give at least two distinct qualities (e.g. 1-4).";
                return false;
            }
            return true;
        }

        private int Execute(ParseResult parse) => RunTraining(Settings(parse), out _);

        /// <summary>Trains as <paramref name="s"/> says; returns the exit code and, when training ran, its summary.</summary>
        internal int RunTraining(TrainSettings s, out TrainingSummary? trained)
        {
            trained = null;
            using var ownedFactory = _loggerFactory is null
                ? LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Information))
                : null;
            var logger = (_loggerFactory ?? ownedFactory!).CreateLogger("compass-train");

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
                _error.WriteLine($"{Name}: error: {ex.Message}");
                return ExitCodes.InvalidArguments;
            }
            torch.set_num_threads(s.Threads);
            // Weights are initialised from torch's generator: seed it so a fresh run is reproducible too.
            torch.manual_seed(s.Seed);
            var objective = Stages.TryCreate(s, out var reason);
            if (objective is null)
            {
                _error.WriteLine($"{Name}: error: {reason}.");
                return ExitCodes.InvalidArguments;
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
                    _error.WriteLine($"{Name}: error: {ex.Message}");
                    return ExitCodes.InvalidArguments;
                }

                var source = new TrainingBatchSource(dataset, s.Batch, Stages.ScalesFor(s.Stage, s.Layers), s.Seed);
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
                    LogEverySteps = s.LogEvery,
                    ValidateEverySteps = s.ValidateEvery,
                    Budget = s.Budget,
                    Run = new RunDescription
                    {
                        Stage = s.Stage, Preset = s.Preset, Lambda = s.EffectiveLambda, Quality = s.Lambda is null ? s.Quality : null,
                        ValidationFolder = validation?.Folder, Threads = s.Threads,
                        Init = s.Init.Count > 0 ? s.Init : null, Variant = s.VariantOf(objective),
                    },
                };
                if (s.ResumeWeights is { } weights)
                {
                    var cardPath = Path.ChangeExtension(weights, ".card.json");
                    try
                    {
                        options = options with { ContinueFrom = ModelCard.Load(cardPath) };
                    }
                    catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
                    {
                        _error.WriteLine($"{Name}: error: --resume-weights needs the run's card beside its weights ({cardPath}): {ex.Message}");
                        return ExitCodes.InvalidArguments;
                    }
                }
                using var trainer = new Trainer(objective, source, options, validation, logger, _output);
                TrainingSummary summary;
                try
                {
                    summary = trainer.Run(_cancel);
                }
                catch (InvalidDataException ex)
                {
                    _error.WriteLine($"{Name}: error: {ex.Message}");
                    return ExitCodes.InvalidArguments;
                }
                catch (InvalidOperationException ex)
                {
                    _error.WriteLine($"{Name}: error: {ex.Message}");
                    return ExitCodes.TrainingFailed;
                }
                trained = summary;
                _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
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
}
