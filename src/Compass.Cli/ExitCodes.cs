namespace Compass.Cli;

/// <summary>Process exit codes of <c>compass</c> (also listed in the root command's help).</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for was done.</summary>
    public const int Success = 0;

    /// <summary>Bad input (missing file, not an image, bad plan, corrupt stream, wrong model) or a failure; one error line on stderr.</summary>
    public const int Failed = 1;

    /// <summary>The command line itself is invalid (unknown option, missing argument, value out of range).</summary>
    public const int InvalidArguments = 2;

    /// <summary>
    /// The stream is truncated: <c>decode</c> wrote the complete layers it holds, <c>info</c> described them
    /// (a warning on stderr says so). Like curl's "partial file": usable output, but not all of it.
    /// </summary>
    public const int Truncated = 3;

    /// <summary>Cancelled with Ctrl+C; no partial output file is left behind.</summary>
    public const int Cancelled = 130;
}
