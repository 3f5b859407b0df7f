using System.CommandLine;
using System.CommandLine.Parsing;
using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Runtime;
using Compass.Training.Training;
using static Compass.Training.Cli.OptionValidation;

namespace Compass.Training.Cli;

/// <summary>
/// The options of <c>compass-train train</c> (most of them shared with <c>bench-recipe</c>), their checks,
/// and the <see cref="TrainSettings"/> they make.
/// </summary>
internal sealed class TrainingOptions
{
    private readonly Option<string> _stage = new("--stage")
    {
        Description = "Training stage: bl (base-layer codec), liff (LIFF as arbitrary-scale super-resolution), residual (residual codec with a bicubic predictor), joint (LIFF + residual codec, BL frozen), smoke (tiny toy model that tests the plumbing).",
        Required = true,
        HelpName = string.Join("|", TrainingStages.Names),
    };
    private readonly Option<string> _preset = new("--preset")
    {
        Description = "Model size: paper (codecs N=128, M=192, paper LIFF), compact (codecs N=64, M=96, small LIFF) or slim (codecs N=48, M=72, compact LIFF); compact-sgdn and compact-relu are compact with simplified GDN or ReLU in the codecs; see docs/training.md.",
        DefaultValueFactory = _ => "compact",
        HelpName = "paper|compact|slim|compact-sgdn|compact-relu",
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
        DefaultValueFactory = _ => "auto",
        HelpName = "auto|clean|decoded",
    };
    private readonly Option<string?> _variableRate = new("--variable-rate")
    {
        Description = "Train a variable-rate model for several qualities (e.g. 1-6, 1,2,3,4 or 0.25,0.5,1-8; ranges are whole qualities, single values any multiple of 1/256 up to 8, those below 1 train lambda 0.0018*q): a learned quantisation step per quality, one quality drawn per batch (docs/method.md#variable-rate). Stage bl makes the base codec variable-rate; liff, residual and joint both codecs (joint: the drawn quality sets the frozen base codec's step, the residual codec's and the lambda; liff with decoded input: the base layer's step). --quality names the level reported in validation (and the reference of the initial steps) and must be one of them. 'export' writes the whole model as one variable-rate bundle, or one level with --level.",
        HelpName = "qualities",
    };
    private readonly Option<int?> _layers = new("--layers") { Description = "Layers per training batch, base layer included (default: 1 for bl, 3 otherwise: BL 0.25, EL1 ~ U(0.25,0.5), EL2 ~ U(0.5,1) of the crop)." };
    private readonly Option<double> _lr = new("--lr") { Description = "Peak learning rate of the main Adam optimiser.", DefaultValueFactory = _ => 5e-4 };
    private readonly Option<string> _schedule = new("--lr-schedule")
    {
        Description = "constant | step[:at[:factor]] (multiply by factor from fraction 'at' of the run; default 0.75:0.2) | cosine[:final] (decay to final*lr).",
        DefaultValueFactory = _ => "step:0.75:0.2",
        HelpName = "schedule",
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
    private readonly Option<string> _device = new("--device")
    {
        Description = "Where the model, batches, losses and optimiser states live: cpu, cuda (needs a GPU and a libtorch with CUDA on the loader's path, e.g. LD_LIBRARY_PATH=<site-packages>/torch/lib; see docs/training.md, GPU slot) or auto (cuda when available, else cpu). Checkpoints and weights load on any device.",
        DefaultValueFactory = _ => "cpu",
        HelpName = "cpu|cuda|auto",
    };
    private readonly Option<int> _logEvery = new("--log-every") { Description = "Progress line every n steps.", DefaultValueFactory = _ => 50 };
    private readonly Option<long> _ckptEvery = new("--checkpoint-every") { Description = "Checkpoint every n steps; 0: by time and at the end only.", DefaultValueFactory = _ => 1000 };
    private readonly Option<double> _ckptMinutes = new("--checkpoint-minutes") { Description = "Also checkpoint when this many minutes passed since the last one; 0 disables.", DefaultValueFactory = _ => 10 };
    private readonly Option<bool> _weightsEveryCheckpoint = new("--weights-every-checkpoint")
    {
        Description = "Also write model-f16.weights and its card at every checkpoint, not only at the end (for runs that may be killed without warning).",
    };
    private readonly Option<int> _keep = new("--keep") { Description = "Checkpoints kept in --out.", DefaultValueFactory = _ => 3 };
    private readonly Option<string?> _resumeWeights = new("--resume-weights")
    {
        Description = "Continue a run from its compact weights and card (model-f16.weights with model-f16.card.json beside it, e.g. a run kept in models/runs/), or from a bundle exported from it (folder or zip; its card is in the manifest), when its checkpoints are gone, such as on a new machine: the weights of the stage's children and the step (learning-rate schedule, data order, wall and CPU seconds) are restored; both optimisers restart. Stage, preset, lambda, variant and seed must match the card; a checkpoint in --out (with --resume) takes precedence.",
        HelpName = "model-f16.weights",
    };
    private readonly Option<string[]> _init = new("--init")
    {
        Description = "Initialise children from an earlier stage's checkpoint, model-f16.weights or model bundle (folder or zip written by 'export'): [base|liff|residual[,...]=]file; without a prefix, the children that file's stage trained (bl: base, liff: liff, residual: residual; a bundle: all three); target:source copies another child, e.g. residual:base=<bl output> starts the residual codec from a trained base-layer codec. A variable-rate codec may start from one with other --variable-rate levels (e.g. 1-8 grown to 0.25,0.5,1-8): levels both have keep their learned steps (matched by quality), a new level starts from the nearest one by the rule, and the log says which. Repeatable; joint needs a trained base.",
        HelpName = "[children=]file",
        AllowMultipleArgumentsPerToken = false,
    };
    private readonly Option<bool> _upscaleSmall = new("--upscale-small") { Description = "Upscale images smaller than the crop instead of skipping them." };

    public TrainingOptions()
    {
        _stage.AcceptOnlyFromAmong([.. TrainingStages.Names]);
        _preset.AcceptOnlyFromAmong([.. CompassPresets.All.Select(p => p.Name)]);
        _liffInput.AcceptOnlyFromAmong("auto", "clean", "decoded");
        _device.AcceptOnlyFromAmong([.. TrainingDevice.Names]);
        AtLeast(_steps, 1L);
        Positive(_budgetMinutes);
        Positive(_budgetCpuMinutes);
        AtLeast(_batch, 1);
        AtLeast(_crop, 16);
        AtLeast(_threads, 1);
        AtLeast(_logEvery, 1);
        AtLeast(_valCount, 1);
        AtLeast(_valCrop, 16);
        AtLeast(_keep, 1);
        NonNegative(_warmup);
        NonNegative(_valEvery);
        NonNegative(_ckptEvery);
        _quality.Validators.Add(r => { if (TryValue<int?>(r, out var q) && q is < 1 or > 8) r.AddError("--quality must be 1..8."); });
        _lambda.Validators.Add(r => { if (TryValue<double?>(r, out var l) && l is { } v && !(v > 0 && double.IsFinite(v))) r.AddError("--lambda must be positive."); });
        _layers.Validators.Add(r => { if (TryValue<int?>(r, out var k) && k is < 1 or > 6) r.AddError("--layers must be 1..6."); });
        Positive(_lr);
        Positive(_auxLr);
        ZeroOrPositive(_clip);
        ZeroOrPositive(_ckptMinutes);
        _schedule.Validators.Add(r =>
        {
            try { if (TryValue<string>(r, out var spec)) LearningRateSchedule.Parse(spec ?? "", 1e-3); }
            catch (FormatException ex) { r.AddError($"--lr-schedule: {ex.Message}"); }
        });
    }

    /// <summary>The options of <c>train</c> that <c>bench-recipe</c> shares (all but --stage, --layers and --liff-input).</summary>
    public IEnumerable<Option> Shared =>
    [
        _preset, _quality, _lambda, _steps, _budgetMinutes, _budgetCpuMinutes, _crop, _batch, _lr, _schedule, _warmup, _auxLr, _clip,
        _seed, _data, _val, _valCount, _valCrop, _valEvery, _out, _resume, _threads, _device, _logEvery, _ckptEvery, _ckptMinutes, _keep, _weightsEveryCheckpoint, _upscaleSmall, _init, _resumeWeights, _variableRate,
    ];

    /// <summary><c>--stage</c>: a command that has it trains any stage (one without trains bl).</summary>
    public Option Stage => _stage;

    /// <summary>The options that only a command with <see cref="Stage"/> has: the layers of its batches and LIFF's input.</summary>
    public IEnumerable<Option> StageSpecific => [_layers, _liffInput];

    /// <summary>The stage a command trains: its <c>--stage</c>, else (a command without one) bl.</summary>
    private TrainingStage StageOf(CommandResult r) =>
        r.Command.Options.Contains(_stage) ? TrainingStages.Parse(r.GetValue(_stage)!) : TrainingStage.BaseLayer;

    /// <summary>The checks that involve several options (added to every command that has <see cref="Shared"/>).</summary>
    public void ValidateCombination(CommandResult r)
    {
        TrainingStage stage;
        int? quality;
        double? lambda;
        int? layersValue;
        try
        {
            stage = StageOf(r);
            quality = r.GetValue(_quality);
            lambda = r.GetValue(_lambda);
            layersValue = r.GetValue(_layers);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            return; // a value did not convert or is not allowed; that error is already reported
        }
        string name = stage.NameOf();
        if (quality is not null && lambda is not null) r.AddError("--quality and --lambda are exclusive; give one.");
        else if (Stages.NeedsLambda(stage) && quality is null && lambda is null)
            r.AddError($"stage '{name}' needs --quality or --lambda.");
        if (layersValue is { } layers && stage == TrainingStage.BaseLayer && layers != 1) r.AddError("stage 'bl' trains a single layer: omit --layers or give 1.");
        if (stage != TrainingStage.Liff && r.GetResult(_liffInput) is { Implicit: false }) r.AddError("--liff-input applies to stage 'liff' only.");
        string? rateSpec;
        try { rateSpec = r.GetValue(_variableRate); }
        catch (InvalidOperationException) { return; }
        if (rateSpec is not null)
        {
            if (stage == TrainingStage.Smoke) r.AddError("--variable-rate applies to the COMPASS stages (bl, liff, residual, joint).");
            else if (!QualityList.TryParse(rateSpec, out var levels, out var why)) r.AddError($"--variable-rate: {why}");
            else if (quality is null) r.AddError("--variable-rate needs --quality (not --lambda): the level reported in validation, one of the levels.");
            else if (!levels.Contains(quality.Value)) r.AddError($"--quality {quality} is not one of the --variable-rate levels ({string.Join(", ", levels.Select(RateLadder.Format))}).");
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

    /// <summary>The settings of a parsed, valid command line.</summary>
    public TrainSettings Settings(ParseResult p)
    {
        var stage = StageOf(p.CommandResult);
        bool trainsAnyStage = p.CommandResult.Command.Options.Contains(_stage);
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
            Layers = (trainsAnyStage ? p.GetValue(_layers) : null) ?? Stages.DefaultLayers(stage),
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
            Device = p.GetValue(_device)!,
            LogEvery = p.GetValue(_logEvery),
            CheckpointEvery = p.GetValue(_ckptEvery),
            CheckpointMinutes = p.GetValue(_ckptMinutes),
            Keep = p.GetValue(_keep),
            WeightsEveryCheckpoint = p.GetValue(_weightsEveryCheckpoint),
            SmallImages = p.GetValue(_upscaleSmall) ? SmallImagePolicy.Upscale : SmallImagePolicy.Skip,
            Init = p.GetValue(_init) ?? [],
            ResumeWeights = p.GetValue(_resumeWeights),
            LiffInput = trainsAnyStage ? p.GetValue(_liffInput)! : "clean",
            RateQualities = p.GetValue(_variableRate) is { } spec && QualityList.TryParse(spec, out var levels, out _) ? levels : [],
        };
    }
}
