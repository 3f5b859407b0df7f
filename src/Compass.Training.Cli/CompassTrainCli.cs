using System.CommandLine;
using Compass.Training.Cli.Recipes;
using Microsoft.Extensions.Logging;

namespace Compass.Training.Cli;

/// <summary>The compass-train command line: the command tree and its one error policy.</summary>
internal static class CompassTrainCli
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var root = CreateRoot(new TrainCliContext(output, error, loggerFactory, cancellationToken));
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine($"{TrainCliContext.Name}: error: {e.Message}");
            error.WriteLine($"Try '{TrainCliContext.Name} {(args.Length > 0 && args[0] == "train" ? "train " : "")}--help'.");
            return ExitCodes.InvalidArguments;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>The command tree.</summary>
    internal static RootCommand CreateRoot(TrainCliContext cli)
    {
        var options = new TrainingOptions();
        var runner = new TrainingRunner(cli);
        return new RootCommand(
            "compass-train: trains Compass (COMPASS, ICCV 2023) models with TorchSharp on the CPU (or a CUDA GPU: --device). " +
            "Exit codes: 0 done, 1 training or check failed, 2 invalid arguments or data (unusable --init or --resume files included), 130 cancelled (checkpoint written). " +
            "Set OMP_WAIT_POLICY=PASSIVE when the machine is shared.")
        {
            TrainCommand.Create(options, runner),
            ExportCommand.Create(cli),
            PackCommand.Create(cli),
            CheckCpuCommand.Create(cli),
            ProbeDeviceCommand.Create(cli),
            CropPackCommand.Create(cli),
            RefineCommand.Create(cli),
            BenchRecipeCommand.Create(cli, options, runner),
            BenchRecipeCommand.CreateRecord(cli),
            BenchRecipeCommand.CreatePlot(cli),
        };
    }
}
