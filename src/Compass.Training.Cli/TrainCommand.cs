using System.CommandLine;

namespace Compass.Training.Cli;

/// <summary><c>compass-train train</c>: trains one stage of a Compass model, with resumable checkpoints and a model card.</summary>
internal static class TrainCommand
{
    public static Command Create(TrainingOptions options, TrainingRunner runner)
    {
        var command = new Command("train", "Train one stage of a Compass model, with resumable checkpoints and a model card.");
        // --stage first, then the shared options, then the stage-specific ones (the order of --help).
        command.Options.Add(options.Stage);
        foreach (var o in options.Shared.Concat(options.StageSpecific)) command.Options.Add(o);
        command.Validators.Add(options.ValidateCombination);
        command.SetAction(parse => runner.Run(options.Settings(parse), out _));
        return command;
    }
}
