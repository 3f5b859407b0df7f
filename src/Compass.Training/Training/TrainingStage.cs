using System.Reflection;
using System.Text.Json.Serialization;

namespace Compass.Training.Training;

/// <summary>
/// A training stage: what part of a COMPASS model a run trains. Checkpoints, model cards and the
/// <c>compass-train --stage</c> option spell it with its short name (<see cref="TrainingStages.NameOf"/>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrainingStage>))]
public enum TrainingStage
{
    /// <summary><c>bl</c>: the base-layer codec (mean-scale hyperprior), one layer.</summary>
    [JsonStringEnumMemberName("bl")]
    BaseLayer,

    /// <summary><c>liff</c>: LIFF pre-trained as arbitrary-scale super-resolution.</summary>
    [JsonStringEnumMemberName("liff")]
    Liff,

    /// <summary><c>residual</c>: the residual codec pre-trained with a bicubic predictor.</summary>
    [JsonStringEnumMemberName("residual")]
    Residual,

    /// <summary><c>joint</c>: LIFF and the residual codec fine-tuned together, base layer frozen.</summary>
    [JsonStringEnumMemberName("joint")]
    Joint,

    /// <summary><c>smoke</c>: a tiny toy model that tests the training plumbing, not a COMPASS stage.</summary>
    [JsonStringEnumMemberName("smoke")]
    Smoke,
}

/// <summary>The short names of <see cref="TrainingStage"/> (as on the command line and in checkpoints and cards).</summary>
public static class TrainingStages
{
    // The JSON names are the short names: one spelling for the command line, checkpoints and cards.
    private static readonly string[] ShortNames = [.. Enum.GetValues<TrainingStage>().Select(s =>
        typeof(TrainingStage).GetField(s.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()!.Name)];

    /// <summary>The COMPASS stages, in training order (<see cref="TrainingStage.Smoke"/> excluded).</summary>
    public static IReadOnlyList<TrainingStage> Compass { get; } = [TrainingStage.BaseLayer, TrainingStage.Liff, TrainingStage.Residual, TrainingStage.Joint];

    /// <summary>Every stage's short name, in declaration order.</summary>
    public static IReadOnlyList<string> Names => ShortNames;

    /// <summary>The short name of <paramref name="stage"/>: <c>bl</c>, <c>liff</c>, <c>residual</c>, <c>joint</c> or <c>smoke</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined stage.</exception>
    public static string NameOf(this TrainingStage stage) =>
        (uint)stage < (uint)ShortNames.Length ? ShortNames[(int)stage] : throw new ArgumentOutOfRangeException(nameof(stage), stage, "Not a training stage.");

    /// <summary>The stage whose short name is <paramref name="name"/> (ordinal, case-sensitive), if any.</summary>
    public static bool TryParse(string? name, out TrainingStage stage)
    {
        int i = Array.IndexOf(ShortNames, name);
        stage = (TrainingStage)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>The stage whose short name is <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No stage has that name.</exception>
    public static TrainingStage Parse(string name) => TryParse(name, out var stage)
        ? stage
        : throw new ArgumentException($"Unknown stage '{name}'; expected one of: {string.Join(", ", ShortNames)}.", nameof(name));
}
