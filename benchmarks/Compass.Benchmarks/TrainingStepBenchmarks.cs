using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Objectives;
using Compass.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Benchmarks;

/// <summary>
/// One full training step (forward, backward, gradient clipping, Adam, auxiliary Adam) of the joint stage
/// (batch 8, layers 32/64/128 px: the largest EL sizes the sampler draws) and of the base-layer stage
/// (batch 8 of 128 px), for both presets, at 1 and 2 libtorch threads. Steps take seconds, so the job is
/// short (monitoring, 1 warm-up, 3 iterations) and in-process (the patched libtorch wrapper is already loaded).
/// Run: <c>OMP_WAIT_POLICY=PASSIVE dotnet run -c Release --project benchmarks/Compass.Benchmarks -- --filter *TrainingStep*</c>.
/// </summary>
[Config(typeof(Config))]
public class TrainingStepBenchmarks
{
    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
            .WithToolchain(InProcessEmitToolchain.Instance));
    }

    private CompassObjective _objective = null!;
    private TrainingBatch _batch = null!;
    private Parameter[] _main = null!;
    private Adam _optimizer = null!;
    private Adam? _aux;

    /// <summary>Model size.</summary>
    [Params("compact", "paper")]
    public string Preset { get; set; } = "compact";

    /// <summary>Training stage: joint (the COMPASS recursion) or the base layer.</summary>
    [Params(TrainingStage.Joint, TrainingStage.BaseLayer)]
    public TrainingStage Stage { get; set; } = TrainingStage.Joint;

    /// <summary>libtorch intra-op threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Builds the model, a fixed random batch and the optimisers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        manual_seed(1);
        _objective = StageObjectives.Create(Stage, new CompassNetwork(CompassPresets.Get(Preset)), 0.0067);
        int[] sides = Stage == TrainingStage.BaseLayer ? [128] : [32, 64, 128];
        _batch = new TrainingBatch(0, sides.Select(s => rand(8, 3, s, s)).ToArray());
        _main = _objective.MainParameters().ToArray();
        _optimizer = optim.Adam(_main, 1e-4);
        var aux = _objective.AuxiliaryParameters().ToArray();
        _aux = aux.Length > 0 ? optim.Adam(aux, 1e-3) : null;
        _objective.Model.train();
    }

    /// <summary>One training step, as the trainer takes it.</summary>
    [Benchmark]
    public double Step()
    {
        using var scope = NewDisposeScope();
        var result = _objective.ComputeLoss(_batch, 0);
        _optimizer.zero_grad();
        result.Loss.backward();
        nn.utils.clip_grad_norm_(_main, 1.0);
        _optimizer.step();
        if (_aux is not null)
        {
            _aux.zero_grad();
            _objective.AuxiliaryLoss()!.backward();
            _aux.step();
        }
        return result.Loss.item<float>();
    }

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _aux?.Dispose();
        _optimizer.Dispose();
        _batch.Dispose();
        _objective.Dispose();
    }
}
