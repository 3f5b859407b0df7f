using Microsoft.Extensions.Logging;

namespace Compass.Training.Cli;

/// <summary>What a <c>compass-train</c> command talks to: its output, its error stream, its logging and its cancellation.</summary>
/// <param name="Output">Progress lines and results.</param>
/// <param name="Error">Errors and warnings, one line each.</param>
/// <param name="LoggerFactory">Logging of training runs; null: single-line console logging.</param>
/// <param name="Cancel">Stops training after the current step (a checkpoint is written).</param>
internal sealed record TrainCliContext(TextWriter Output, TextWriter Error, ILoggerFactory? LoggerFactory, CancellationToken Cancel)
{
    /// <summary>The tool's name, the prefix of its error lines.</summary>
    public const string Name = "compass-train";

    /// <summary>Writes <c>compass-train: error: message</c> and returns <paramref name="exitCode"/>.</summary>
    public int Fail(string message, int exitCode = ExitCodes.InvalidArguments)
    {
        Error.WriteLine($"{Name}: error: {message}");
        return exitCode;
    }
}
