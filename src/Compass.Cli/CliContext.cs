using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Compass.Cli;

/// <summary>What a <c>compass</c> run talks to: its output, its error stream, its models and its logging.</summary>
internal sealed class CliContext
{
    /// <summary>Normal output: tables, or the JSON document with <c>--json</c>.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Errors and warnings, one line each.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Opens standard input as bytes (<c>-</c> as an input file).</summary>
    public Func<Stream> OpenStandardInput { get; init; } = Console.OpenStandardInput;

    /// <summary>Opens standard output as bytes (<c>-o -</c>); the text report then goes to <see cref="Error"/>.</summary>
    public Func<Stream> OpenStandardOutput { get; init; } = Console.OpenStandardOutput;

    /// <summary>True when standard error is a terminal, where a progress line may be redrawn in place.</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>The model seam: <see cref="ModelLoading.Load"/> in the tool, fakes in tests.</summary>
    public required Func<ModelRequest, CompassModel> LoadModel { get; init; }

    /// <summary>Creates the logger factory for a minimum level (Warning by default, Debug with <c>--verbose</c>).</summary>
    public Func<LogLevel, ILoggerFactory> CreateLogging { get; init; } = ConsoleLogging;

    /// <summary>Console logging on stderr, so that stdout stays parseable.</summary>
    public static ILoggerFactory ConsoleLogging(LogLevel level) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        builder.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
