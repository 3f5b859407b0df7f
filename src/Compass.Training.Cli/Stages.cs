using Compass.Training.Data;
using Compass.Training.Modules;
using Compass.Training.Objectives;
using Compass.Training.Training;

namespace Compass.Training.Cli;

/// <summary>
/// The training stages compass-train knows, and how each is built. Every COMPASS stage trains (part of)
/// one <see cref="CompassNetwork"/> of the chosen preset and saves all of it (keys base., liff., residual.).
/// </summary>
internal static class Stages
{
    /// <summary>Stages that train with a rate term and need --quality or --lambda.</summary>
    public static bool NeedsLambda(TrainingStage stage) => stage != TrainingStage.Liff;

    /// <summary>Default number of layers (base layer included) of a stage's training batches.</summary>
    public static int DefaultLayers(TrainingStage stage) => stage == TrainingStage.BaseLayer ? 1 : 3;

    // bl's 8 x 128 won at equal CPU time against 4 x 128 (C1) and 4 x 192 (A1). liff and joint code three layers
    // per crop, so a step costs more; every enhancement layer that shipped or was measured
    // (the shipped models, J1 and J2 in docs/training/stage-experiments.jsonl) was trained at 4 x 96.

    /// <summary>Default side of a stage's random training crops.</summary>
    public static int DefaultCrop(TrainingStage stage) => stage is TrainingStage.Liff or TrainingStage.Joint ? 96 : 128;

    /// <summary>Default crops per batch of a stage.</summary>
    public static int DefaultBatch(TrainingStage stage) => stage is TrainingStage.Liff or TrainingStage.Joint ? 4 : 8;

    /// <summary>The layer-size sampler of a stage.</summary>
    public static ScaleSampler ScalesFor(int layers) =>
        layers == 1 ? ScaleSampler.SingleLayer : ScaleSampler.Compass(layers - 1);

    /// <summary>
    /// The network a stage trains. With <c>--variable-rate</c>, stage bl makes the base codec variable-rate (its runs
    /// save no rate levels for the residual codec, so checkpoints of earlier bl runs still resume); the other stages make
    /// both codecs variable-rate with the same levels, so their output is a whole variable-rate model.
    /// </summary>
    public static CompassNetwork NetworkFor(TrainSettings s)
    {
        var preset = CompassPresets.Get(s.Preset);
        if (s.RateQualities.Count == 0) return new CompassNetwork(preset);
        int reference = s.Quality ?? throw new ArgumentException("--variable-rate needs --quality (the reference level).");
        return s.Stage == TrainingStage.BaseLayer
            ? new CompassNetwork(preset, s.RateQualities, null, reference)
            : new CompassNetwork(preset, s.RateQualities, s.RateQualities, reference);
    }

    /// <summary>The stage's objective, or null (with the reason) when it cannot be built.</summary>
    public static ITrainingObjective? TryCreate(TrainSettings s, out string? reason, Action<string>? log = null)
    {
        reason = null;
        if (s.Stage == TrainingStage.Smoke)
        {
            if (s.Init.Count > 0 || s.ResumeWeights is not null)
            {
                reason = "stage 'smoke' takes no --init or --resume-weights";
                return null;
            }
            return new SmokeTestObjective(s.EffectiveLambda ?? 0.0067);
        }
        if (s.Stage != TrainingStage.BaseLayer && s.Layers < 2)
        {
            reason = $"stage '{s.Stage.NameOf()}' needs at least 2 layers (--layers)";
            return null;
        }

        CompassNetwork network;
        try
        {
            network = NetworkFor(s);
        }
        catch (ArgumentException ex)
        {
            reason = ex.Message.TrimEnd('.');
            return null;
        }
        try
        {
            var initialised = new HashSet<string>(StringComparer.Ordinal);
            foreach (var spec in s.Init)
            {
                var (children, path) = WeightInitializer.Parse(spec);
                // A new run may have other levels than its source (growing 1..8 to 0.25, 0.5, 1..8): mapped by quality, logged.
                WeightInitializer.Load(network, children, path, otherLevels: true, log);
                initialised.UnionWith(children.Select(c => c.Split(':')[0])); // target:source initialises the target
            }
            if (s.ResumeWeights is { } weights)
            {
                // The file holds the whole network as the run left it (trained children and what it was initialised with).
                WeightInitializer.Load(network, [.. CompassNetwork.ChildNames], weights);
                initialised.UnionWith(CompassNetwork.ChildNames);
            }
            bool resuming = s.Resume && Directory.Exists(s.Out) && Directory.EnumerateFiles(s.Out, "*.ckpt").Any();
            if (s.Stage == TrainingStage.Joint && !initialised.Contains("base") && !resuming)
            {
                reason = "stage 'joint' freezes the base layer, so it needs a trained one: --init <bl output> (or base=<file>)";
                network.Dispose();
                return null;
            }
            if (s.Stage == TrainingStage.Liff && s.LiffInput == "decoded" && !initialised.Contains("base") && !resuming)
            {
                reason = "--liff-input decoded predicts from the base-layer codec's output, so it needs a trained one: --init base=<bl output>";
                network.Dispose();
                return null;
            }
            // auto: decoded inputs when a trained base layer is loaded (issue 9's P1/P2 runs: after equal joint training,
            // decoded pre-training gave the better model at every ratio), clean otherwise (the authors' recipe).
            bool decoded = s.LiffInput == "decoded" || (s.LiffInput == "auto" && initialised.Contains("base"));
            if (s.Stage == TrainingStage.Liff && decoded) return new LiffObjective(network, decodedBaseInput: true, s.Quality);
            // The liff stage has no rate term; its lambda is unused.
            return StageObjectives.Create(s.Stage, network, s.EffectiveLambda ?? 1.0);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or CompassFormatException)
        {
            network.Dispose();
            reason = ex.Message.TrimEnd('.');
            return null;
        }
    }
}
