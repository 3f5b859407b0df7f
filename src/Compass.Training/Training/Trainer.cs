using System.Diagnostics;
using System.Text;
using Compass.Training.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Training;

/// <summary>One completed step, as reported to <see cref="Trainer.StepCompleted"/>.</summary>
/// <param name="Step">0-based index of the step just taken.</param>
/// <param name="Loss">Its loss.</param>
/// <param name="LearningRate">The main learning rate it used.</param>
/// <param name="Metrics">The objective's metrics (plus <c>grad_norm</c> and <c>aux_loss</c> when present).</param>
public sealed record StepReport(long Step, double Loss, double LearningRate, IReadOnlyDictionary<string, double> Metrics);

/// <summary>How a <see cref="Trainer.Run"/> ended.</summary>
/// <param name="StepsCompleted">Steps completed in total (over all sessions).</param>
/// <param name="Cancelled">True when cancellation stopped the run early (a checkpoint was written).</param>
/// <param name="LastCheckpoint">Path of the newest checkpoint written, if any.</param>
/// <param name="Validation">Latest validation metrics, if any.</param>
public sealed record TrainingSummary(long StepsCompleted, bool Cancelled, string? LastCheckpoint, IReadOnlyDictionary<string, double>? Validation);

/// <summary>
/// The training loop: Adam on the objective's main parameters with a learning-rate schedule and
/// gradient-norm clipping, a second Adam for its auxiliary parameters, progress lines, periodic
/// validation, atomic checkpoints (by steps and by time) with a model card, exact resume, and
/// compact float16 weights at the end.
/// </summary>
/// <remarks>
/// Exact resume: the batch of step k and the torch generator seed of step k are pure functions of
/// (seed, k); the checkpoint holds the weights, both optimisers' states (Adam moments and step
/// counts), the step, the schedule definition and the seed. A run resumed at step k therefore
/// repeats the uninterrupted run's losses bit for bit at equal thread count.
/// </remarks>
public sealed class Trainer : IDisposable
{
    private readonly ITrainingObjective _objective;
    private readonly TrainingBatchSource _data;
    private readonly ValidationSet? _validation;
    private readonly TrainerOptions _options;
    private readonly ILogger _logger;
    private readonly TextWriter? _console;
    private readonly CheckpointStore _store;
    private readonly Parameter[] _mainParameters;
    private readonly Adam _optimizer;
    private readonly Adam? _auxOptimizer;
    private readonly string? _gitCommit;
    private readonly Device _device;
    private double _priorWallSeconds, _priorCpuSeconds;
    private IReadOnlyDictionary<string, double>? _validationMetrics;
    private long? _validationStep;
    private Dictionary<string, double>? _lastTrainMetrics;
    private double _learningRate;

    /// <summary>Creates a trainer; call <see cref="Run"/> to train.</summary>
    /// <param name="objective">The stage's model and losses.</param>
    /// <param name="data">Training batches (its seed must equal <see cref="TrainerOptions.Seed"/>).</param>
    /// <param name="options">Run settings.</param>
    /// <param name="validation">Fixed validation crops, or null for none.</param>
    /// <param name="logger">Receives events (checkpoints, validation, warnings).</param>
    /// <param name="console">Receives the progress lines; null sends them to the logger instead.</param>
    public Trainer(ITrainingObjective objective, TrainingBatchSource data, TrainerOptions options,
        ValidationSet? validation = null, ILogger? logger = null, TextWriter? console = null)
    {
        _objective = objective ?? throw new ArgumentNullException(nameof(objective));
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.TotalSteps < 1) throw new ArgumentOutOfRangeException(nameof(options), "TotalSteps must be positive.");
        if (string.IsNullOrEmpty(options.CheckpointFolder)) throw new ArgumentException("A checkpoint folder is required.", nameof(options));
        if (data.Seed != options.Seed) throw new ArgumentException($"The data source's seed {data.Seed} differs from the options' seed {options.Seed}.", nameof(data));
        _validation = validation;
        _logger = logger ?? NullLogger.Instance;
        _console = console;
        _store = new CheckpointStore(options.CheckpointFolder, options.KeepCheckpoints, _logger);
        // Moving a module replaces its parameters, so it moves before the optimisers collect them. Checkpoints and
        // compact weights stay device-independent: TorchSharp writes every tensor from a CPU copy.
        _device = options.Device ?? CPU;
        if (_device.type != DeviceType.CPU) objective.Model.to(_device);
        _mainParameters = objective.MainParameters().ToArray();
        if (_mainParameters.Length == 0) throw new ArgumentException("The objective has no main parameters to train.", nameof(objective));
        _optimizer = optim.Adam(_mainParameters, options.Schedule.BaseRate);
        var aux = objective.AuxiliaryParameters().ToArray();
        if (aux.Length > 0) _auxOptimizer = optim.Adam(aux, options.AuxLearningRate);
        _gitCommit = ModelCard.TryGetGitCommit();
    }

    /// <summary>Raised after every step (for tests and custom logging).</summary>
    public event Action<StepReport>? StepCompleted;

    /// <summary>Completed steps: the index of the next step to take.</summary>
    public long Step { get; private set; }

    /// <summary>The checkpoint folder.</summary>
    public CheckpointStore Checkpoints => _store;

    /// <summary>
    /// Trains from the current step (after resuming, when <see cref="TrainerOptions.Resume"/> is set
    /// and a checkpoint exists) up to <see cref="TrainerOptions.TotalSteps"/>. Cancellation stops
    /// after the current step and writes a checkpoint.
    /// </summary>
    public TrainingSummary Run(CancellationToken cancellationToken = default)
    {
        bool resumed = false;
        if (_options.Resume) resumed = TryResume();
        else if (_store.List().Count > 0)
            throw new InvalidOperationException($"'{_store.Folder}' already holds checkpoints; resume them or choose another folder.");
        if (!resumed && _options.ContinueFrom is { } card) ContinueFrom(card);

        var wall = Stopwatch.StartNew();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var lastCheckpointTime = wall.Elapsed;
        string? lastCheckpoint = null;
        var progress = new ProgressReporter();
        _objective.Model.train();
        _logger.LogInformation("Training {Stage} on {Device} from step {Step} to {Total} ({Schedule}, seed {Seed}, {Threads} threads{Budget})",
            _options.Run.Stage.NameOf(), _device, Step, _options.TotalSteps, _options.Schedule, _options.Seed, torch.get_num_threads(),
            _options.Budget is { } b ? ", budget " + b : "");

        (double Wall, double Cpu) Elapsed() =>
            (_priorWallSeconds + wall.Elapsed.TotalSeconds, _priorCpuSeconds + (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds);

        double BudgetUsed() { var (w, c) = Elapsed(); return _options.Budget?.FractionUsed(w, c) ?? 0; }

        // A budget spent before this session (a resumed run) trains no step; otherwise the step judged last ends the loop.
        bool spentAlready = _options.Budget is not null && BudgetUsed() >= 1;
        while (!spentAlready && Step < _options.TotalSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                lastCheckpoint = SaveCheckpoint(Elapsed());
                _logger.LogWarning("Training cancelled at step {Step}; checkpoint {Path}", Step, lastCheckpoint);
                // A stopped run can be continued elsewhere from its compact weights (--resume-weights) too.
                ExportCompactWeights(lastCheckpoint);
                return new TrainingSummary(Step, true, lastCheckpoint, _validationMetrics);
            }

            var report = TrainStep(Step, _options.Budget is null ? null : BudgetUsed());
            Step++;
            progress.Add(report.Loss, report.Metrics);
            StepCompleted?.Invoke(report);

            bool last = Step == _options.TotalSteps || (_options.Budget is not null && BudgetUsed() >= 1);
            if (Step % Math.Max(1, _options.LogEverySteps) == 0 || last)
            {
                _lastTrainMetrics = progress.Averages();
                WriteProgress(progress.Flush(Step, _options.TotalSteps, _learningRate, _options.Budget is null ? null : BudgetUsed()));
            }
            if (_validation is not null && ((_options.ValidateEverySteps > 0 && Step % _options.ValidateEverySteps == 0) || last))
                Validate();
            bool byStep = _options.CheckpointEverySteps > 0 && Step % _options.CheckpointEverySteps == 0;
            bool byTime = _options.CheckpointInterval is { } interval && wall.Elapsed - lastCheckpointTime >= interval;
            if (byStep || byTime || last)
            {
                lastCheckpoint = SaveCheckpoint(Elapsed());
                lastCheckpointTime = wall.Elapsed;
                if (_options.CompactWeightsEveryCheckpoint && !last) ExportCompactWeights(lastCheckpoint);
            }
            // Not a second reading of the budget in the loop's condition: it could cross 1 after this one did
            // not, and the final steps would end without progress line, validation, checkpoint or weights.
            if (last) break;
        }

        ExportCompactWeights(lastCheckpoint);
        return new TrainingSummary(Step, false, lastCheckpoint, _validationMetrics);
    }

    /// <summary>Writes model-f16.weights and its card (from <paramref name="checkpoint"/>'s header) when the options ask for them.</summary>
    private void ExportCompactWeights(string? checkpoint)
    {
        if (!_options.ExportCompactWeights || checkpoint is null) return;
        var weights = Path.Combine(_store.Folder, "model-f16.weights");
        CompactWeights.Export(_objective.Model, weights);
        ModelCard.From(Checkpoint.Load(checkpoint).Header).Save(Path.Combine(_store.Folder, "model-f16.card.json"));
        _logger.LogInformation("Compact weights written to {Path}", weights);
    }

    private StepReport TrainStep(long step, double? budgetProgress)
    {
        using var scope = NewDisposeScope();
        // Reseeding per step makes torch's draws (quantisation noise) a pure function of (seed, step).
        torch.manual_seed((long)(StepRandom.Hash(_options.Seed, step, RandomStream.Torch) & long.MaxValue));
        _learningRate = budgetProgress is { } p
            ? _options.Schedule.RateAtProgress(step, p)
            : _options.Schedule.RateAt(step, _options.TotalSteps);
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = _learningRate;

        using var batch = OnDevice(_data.GetBatch(step));
        var result = _objective.ComputeLoss(batch, step);
        double loss = result.Loss.item<float>();
        if (!double.IsFinite(loss))
            throw new InvalidOperationException(NonFiniteLossMessage(step, loss, result.Metrics, batch, "loss"));
        var metrics = new Dictionary<string, double>(result.Metrics, StringComparer.Ordinal);

        _optimizer.zero_grad();
        result.Loss.backward();
        if (_options.GradientClipNorm > 0)
            metrics["grad_norm"] = nn.utils.clip_grad_norm_(_mainParameters, _options.GradientClipNorm);
        _optimizer.step();

        if (_auxOptimizer is not null)
        {
            _auxOptimizer.zero_grad();
            var aux = _objective.AuxiliaryLoss() ?? throw new InvalidOperationException("The objective has auxiliary parameters but returned no auxiliary loss.");
            metrics["aux_loss"] = aux.item<float>();
            if (!double.IsFinite(metrics["aux_loss"]))
                throw new InvalidOperationException(NonFiniteLossMessage(step, metrics["aux_loss"], metrics, batch, "auxiliary loss"));
            aux.backward();
            _auxOptimizer.step();
        }
        return new StepReport(step, loss, _learningRate, metrics);
    }

    /// <summary>The batch on the run's device (the same batch on the CPU; otherwise a copy, and the CPU batch is freed).</summary>
    private TrainingBatch OnDevice(TrainingBatch batch)
    {
        if (_device.type == DeviceType.CPU) return batch;
        using (batch) return new TrainingBatch(batch.Step, batch.Layers.Select(t => t.to(_device)).ToArray());
    }

    /// <summary>
    /// What is known when the loss is not finite: the step, which loss terms are not finite, and whether
    /// the batch or the weights already held non-finite values, with the advice that follows from that.
    /// </summary>
    private string NonFiniteLossMessage(long step, double loss, IReadOnlyDictionary<string, double> terms, TrainingBatch batch, string which)
    {
        var badTerms = terms.Where(t => !double.IsFinite(t.Value)).Select(t => $"{t.Key}={t.Value}").ToList();
        var badLayers = batch.Layers.Select((t, i) => (t, i)).Where(x => !x.t.isfinite().all().item<bool>()).Select(x => $"layer {x.i}").ToList();
        var badWeights = _objective.Model.named_parameters().Where(p => !p.parameter.isfinite().all().item<bool>()).Select(p => p.name).ToList();
        var text = new StringBuilder($"The {which} became {loss} at step {step}");
        text.Append(badTerms.Count > 0 ? $"; non-finite terms: {string.Join(", ", badTerms)}" : "; every reported loss term is finite");
        text.Append(badLayers.Count > 0 ? $"; the batch holds non-finite pixels ({string.Join(", ", badLayers)})" : "; the batch is finite");
        text.Append(badWeights.Count > 0
            ? $"; {badWeights.Count} weight tensor(s) were already non-finite (first: {badWeights[0]})"
            : "; every weight is finite");
        if (badLayers.Count > 0)
            text.Append(". Check the training data.");
        else if (badWeights.Count > 0)
            text.Append(". An earlier update diverged: lower the learning rate or resume from an earlier checkpoint.");
        else
            text.Append(". Finite inputs and weights gave a non-finite loss: run 'compass-train check-cpu' to check libtorch's kernels on this CPU, then lower the learning rate.");
        return text.ToString();
    }

    /// <summary>Runs the objective's evaluation on the validation crops (eval mode, no gradients).</summary>
    public IReadOnlyDictionary<string, double>? Validate()
    {
        if (_validation is null) return null;
        var model = _objective.Model;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var batch = OnDevice(_validation.CreateBatch(_data.Scales, _data.Downscale));
            _validationMetrics = new Dictionary<string, double>(_objective.Evaluate(batch), StringComparer.Ordinal);
            _validationStep = Step;
        }
        finally
        {
            model.train();
        }
        var line = $"validation @ step {Step}: {ProgressReporter.FormatMetrics(_validationMetrics)}";
        WriteProgress(line);
        return _validationMetrics;
    }

    private string SaveCheckpoint((double Wall, double Cpu) elapsed)
    {
        var header = new CheckpointHeader
        {
            Step = Step,
            TotalSteps = _options.TotalSteps,
            Seed = _options.Seed,
            Schedule = _options.Schedule.ToString(),
            Budget = _options.Budget?.ToString(),
            LearningRate = _learningRate,
            Run = _options.Run with { DataFolder = _data.Dataset.Folder, DataImageCount = _data.Dataset.Count, ValidationFolder = _validation?.Folder ?? _options.Run.ValidationFolder, BatchSize = _data.BatchSize, CropSize = _data.Dataset.CropSize, Threads = torch.get_num_threads() },
            WallSeconds = elapsed.Wall,
            CpuSeconds = elapsed.Cpu,
            Validation = _validationMetrics,
            ValidationStep = _validationStep,
            TrainMetrics = _lastTrainMetrics,
            GitCommit = _gitCommit,
            CreatedUtc = DateTimeOffset.UtcNow,
        };
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["model"] = Serialize(w => _objective.Model.save(w)),
            ["optimizer"] = Serialize(_optimizer.save_state_dict),
            ["torch_rng"] = Serialize(w => { using var s = torch.get_rng_state(); s.Save(w); }),
        };
        if (_auxOptimizer is not null) sections["aux_optimizer"] = Serialize(_auxOptimizer.save_state_dict);
        var path = _store.Save(new Checkpoint(header, sections), ModelCard.From(header));
        _logger.LogInformation("Checkpoint {Path} written (step {Step})", path, Step);
        return path;
    }

    /// <summary>Loads the newest valid checkpoint, if any; returns whether one was loaded.</summary>
    /// <exception cref="InvalidOperationException">The checkpoint belongs to another stage, preset, lambda or seed.</exception>
    /// <exception cref="InvalidDataException">Checkpoints exist but none verifies (they are set aside as <c>*.ckpt.corrupt</c>).</exception>
    public bool TryResume()
    {
        _store.RemoveStaleTemporaries();
        var checkpoint = _store.LoadLatest();
        if (checkpoint is null)
        {
            var corrupt = _store.ListCorrupt();
            if (corrupt.Count > 0)
                throw new InvalidDataException(
                    $"No usable checkpoint to resume in '{_store.Folder}': {corrupt.Count} unusable checkpoint(s) are set aside as *{CheckpointStore.CorruptSuffix}"
                    + (_store.LastProblems.Count > 0 ? $" ({string.Join("; ", _store.LastProblems)})" : "")
                    + ". Put a good checkpoint back to resume, or run without --resume to start again from step 0.");
            _logger.LogInformation("No checkpoint in {Folder}; starting from step 0", _store.Folder);
            return false;
        }
        var h = checkpoint.Header;
        var run = _options.Run;
        if (!h.Run.IsSameRunAs(run))
            throw new InvalidOperationException(
                $"The checkpoint in '{_store.Folder}' is {h.Run.DescribeIdentity()}; this run is {run.DescribeIdentity()}: resume with the same stage, preset, lambda and objective options.");
        if (h.Seed != _options.Seed)
            throw new InvalidOperationException($"The checkpoint in '{_store.Folder}' was trained with seed {h.Seed}; resume with the same seed.");
        if (h.Schedule != _options.Schedule.ToString() || h.TotalSteps != _options.TotalSteps)
            _logger.LogWarning("Resuming with schedule '{New}' over {NewTotal} steps (checkpoint: '{Old}' over {OldTotal})",
                _options.Schedule, _options.TotalSteps, h.Schedule, h.TotalSteps);
        if (h.Run.BatchSize != _data.BatchSize || h.Run.CropSize != _data.Dataset.CropSize)
            _logger.LogWarning("Resuming with batch {Batch} x {Crop}px (checkpoint: {OldBatch} x {OldCrop}px): the batches differ from an uninterrupted run",
                _data.BatchSize, _data.Dataset.CropSize, h.Run.BatchSize, h.Run.CropSize);

        Deserialize(checkpoint, "model", r => _objective.Model.load(r, strict: true));
        Deserialize(checkpoint, "optimizer", _optimizer.load_state_dict);
        if (_auxOptimizer is not null) Deserialize(checkpoint, "aux_optimizer", _auxOptimizer.load_state_dict);
        if (checkpoint.Sections.ContainsKey("torch_rng"))
            Deserialize(checkpoint, "torch_rng", r => { using var s = TensorExtensionMethods.Load(r); torch.set_rng_state(s); });
        Step = h.Step;
        _learningRate = h.LearningRate;
        _priorWallSeconds = h.WallSeconds;
        _priorCpuSeconds = h.CpuSeconds;
        _validationMetrics = h.Validation;
        _validationStep = h.ValidationStep;
        _lastTrainMetrics = h.TrainMetrics?.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return true;
    }

    /// <summary>Takes the step, clocks and validation of the run that <paramref name="card"/> describes.</summary>
    /// <exception cref="InvalidDataException">The card belongs to another run, or that run already reached the step count.</exception>
    private void ContinueFrom(ModelCard card)
    {
        var h = card.Header;
        var run = _options.Run;
        if (!h.Run.IsSameRunAs(run))
            throw new InvalidDataException($"The weights to continue are from {h.Run.DescribeIdentity()}; this run is {run.DescribeIdentity()}.");
        if (h.Seed != _options.Seed)
            throw new InvalidDataException($"The weights to continue were trained with seed {h.Seed}; continue with --seed {h.Seed}.");
        if (h.Step >= _options.TotalSteps)
            throw new InvalidDataException($"The weights to continue are at step {h.Step} already; give more than {h.Step} --steps.");
        Step = h.Step;
        _priorWallSeconds = h.WallSeconds;
        _priorCpuSeconds = h.CpuSeconds;
        _validationMetrics = h.Validation;
        _validationStep = h.ValidationStep;
        _logger.LogWarning("Continuing from compact weights at step {Step} ({CpuHours:F2} CPU-hours so far): weights restored, the optimisers start afresh", Step, h.CpuSeconds / 3600);
    }

    private static byte[] Serialize(Action<BinaryWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) write(w);
        return ms.ToArray();
    }

    private static void Deserialize(Checkpoint checkpoint, string section, Action<BinaryReader> read)
    {
        if (!checkpoint.Sections.TryGetValue(section, out var bytes))
            throw new CompassFormatException($"The checkpoint has no '{section}' section.");
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        read(r);
    }

    private void WriteProgress(string line)
    {
        if (_console is not null)
        {
            _console.WriteLine(line);
            _logger.LogDebug("{Progress}", line);
        }
        else
        {
            _logger.LogInformation("{Progress}", line);
        }
    }

    /// <summary>Frees the optimisers.</summary>
    public void Dispose()
    {
        _optimizer.Dispose();
        _auxOptimizer?.Dispose();
    }
}
