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
        // --json promises a document on stdout, errors included; the error line still goes to stderr for people.
        bool json = args.Contains("--json");
        string commandName = parse.CommandResult.Command is RootCommand ? Name : parse.CommandResult.Command.Name;
        string? unknown = Suggestions.ForUnknownToken(parse);
        if (parse.Errors.Count > 0 || unknown is not null)
        {
            string command = parse.CommandResult.Command is RootCommand ? Name : $"{Name} {parse.CommandResult.Command.Name}";
            string message = unknown ?? OneLine(FriendlyTypes(parse.Errors[0].Message));
            return Fail(context, json, commandName, ExitCodes.InvalidArguments, $"{message} (see '{command} --help')");
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
            if (json) JsonReport.Write(context.Out, new ErrorReport(commandName, ExitCodes.Cancelled, "cancelled"));
            context.Error.WriteLine($"{Name}: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (IsInputError(ex))
        {
            int code = Fail(context, json, commandName, ExitCodes.Failed, OneLine(MessageOf(ex)));
            if (verbose) context.Error.WriteLine(ex);
            return code;
        }
        catch (Exception ex)
        {
            int code = Fail(context, json, commandName, ExitCodes.Failed,
                $"unexpected {ex.GetType().Name}: {OneLine(ex.Message)}{(verbose ? "" : " (--verbose shows the stack trace)")}");
            if (verbose) context.Error.WriteLine(ex);
            return code;
        }
    }

    private static int Fail(CliContext context, bool json, string command, int exitCode, string message)
    {
        if (json) JsonReport.Write(context.Out, new ErrorReport(command, exitCode, message));
        context.Error.WriteLine($"{Name}: error: {message}");
        return exitCode;
    }

    /// <summary>Collapses a message onto one line (the error contract is one line per problem).</summary>
    public static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    // "as expected type 'System.Nullable`1[System.Int32]'" -> "as expected type 'integer'".
    private static string FriendlyTypes(string message) => message
        .Replace("System.Nullable`1[System.Int32]", "integer", StringComparison.Ordinal)
        .Replace("System.Int32", "integer", StringComparison.Ordinal);

    internal static bool IsInputError(Exception ex) => ex is CliException or CompassFormatException or ArgumentException or FormatException
        or FileNotFoundException or IOException or UnauthorizedAccessException or UnknownImageFormatException;

    // ArgumentException appends " (Parameter 'name')": the parameter means nothing to a CLI user.
    internal static string MessageOf(Exception ex) =>
        ex is ArgumentException { ParamName: { } name } ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
}
