using Microsoft.Extensions.Logging;

namespace Compass.Cli.Tests;

public sealed class CliLoggingTests
{
    [Fact]
    public void ConsoleLoggingKeepsStdoutCleanAndFollowsTheLevel()
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var capturedOut = new StringWriter();
        using var capturedError = new StringWriter();
        Console.SetOut(capturedOut);
        Console.SetError(capturedError);
        try
        {
            using (var warning = CliContext.ConsoleLogging(LogLevel.Warning))
            {
                var logger = warning.CreateLogger("test");
                Assert.False(logger.IsEnabled(LogLevel.Information));
                logger.LogWarning("careful {Thing}", "here");
            }
            using (var debug = CliContext.ConsoleLogging(LogLevel.Debug))
                Assert.True(debug.CreateLogger("test").IsEnabled(LogLevel.Debug));
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
        Assert.Equal("", capturedOut.ToString()); // logs never mix with tables or JSON
        Assert.Contains("careful here", capturedError.ToString());
    }
}
