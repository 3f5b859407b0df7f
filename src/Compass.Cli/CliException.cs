namespace Compass.Cli;

/// <summary>A problem the user can fix, reported as one <c>compass: error:</c> line.</summary>
internal sealed class CliException(string message, Exception? inner = null) : Exception(message, inner);
