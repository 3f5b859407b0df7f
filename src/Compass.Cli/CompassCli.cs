using System.CommandLine;
using Compass.Cli.Commands;
using SixLabors.ImageSharp;

namespace Compass.Cli;

/// <summary>The <c>compass</c> command tree and its one error policy: one <c>compass: error:</c> line, no stack trace unless <c>--verbose</c>.</summary>
internal sealed class CompassCli
{
    private const string Name = "compass";

    private CompassCli(CliContext context)
    {
        Common = new CommonOptions(context);
        Root = new RootCommand(
            "compass: encode an image into one stream holding several resolutions, and decode any number of its layers. " +
            "Exit codes: 0 done, 1 bad input or failure (one 'compass: error:' line on stderr), 2 invalid command line, " +
            "3 truncated stream (the complete layers were decoded or described; a warning says so), 130 cancelled.")
        {
            new EncodeCommand(context, Common).Command,
            new DecodeCommand(context, Common).Command,
            new InfoCommand(context, Common).Command,
            new EvalCommand(context, Common).Command,
            new ReportCommand(context).Command,
        };
        Root.Options.Add(Common.Verbose);
    }

    public RootCommand Root { get; }

    public CommonOptions Common { get; }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var cli = new CompassCli(context);
        var parse = cli.Root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            string command = parse.CommandResult.Command is RootCommand ? Name : $"{Name} {parse.CommandResult.Command.Name}";
            context.Error.WriteLine($"{Name}: error: {OneLine(FriendlyTypes(parse.Errors[0].Message))} (see '{command} --help')");
            return ExitCodes.InvalidArguments;
        }

        bool verbose = parse.GetValue(cli.Common.Verbose);
        var configuration = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // Program owns Ctrl+C and passes its token in
        };
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Error.WriteLine($"{Name}: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (IsInputError(ex))
        {
            context.Error.WriteLine($"{Name}: error: {OneLine(MessageOf(ex))}");
            if (verbose) context.Error.WriteLine(ex);
            return ExitCodes.Failed;
        }
        catch (Exception ex)
        {
            context.Error.WriteLine($"{Name}: error: unexpected {ex.GetType().Name}: {OneLine(ex.Message)}{(verbose ? "" : " (--verbose shows the stack trace)")}");
            if (verbose) context.Error.WriteLine(ex);
            return ExitCodes.Failed;
        }
    }

    /// <summary>Collapses a message onto one line (the error contract is one line per problem).</summary>
    public static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    // "as expected type 'System.Nullable`1[System.Int32]'" -> "as expected type 'integer'".
    private static string FriendlyTypes(string message) => message
        .Replace("System.Nullable`1[System.Int32]", "integer", StringComparison.Ordinal)
        .Replace("System.Int32", "integer", StringComparison.Ordinal);

    private static bool IsInputError(Exception ex) => ex is CliException or CompassFormatException or ArgumentException or FormatException
        or FileNotFoundException or IOException or UnauthorizedAccessException or UnknownImageFormatException;

    // ArgumentException appends " (Parameter 'name')": the parameter means nothing to a CLI user.
    private static string MessageOf(Exception ex) =>
        ex is ArgumentException { ParamName: { } name } ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
}
