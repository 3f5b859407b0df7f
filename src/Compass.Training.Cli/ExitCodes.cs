namespace Compass.Training.Cli;

/// <summary>Process exit codes of compass-train.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int TrainingFailed = 1;
    public const int InvalidArguments = 2;
    public const int Cancelled = 130;
}
