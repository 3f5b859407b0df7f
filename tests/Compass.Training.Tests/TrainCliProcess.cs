using Compass.Training.Cli;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Compass.Training.Tests;

/// <summary>Runs <c>compass-train</c> in-process, as the tool would, for the command-line tests.</summary>
internal static class TrainCliProcess
{
    /// <summary>Runs <paramref name="args"/> and returns the exit code, stdout and stderr; restores torch's thread count, which training sets.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int threads = torch.get_num_threads();
        try
        {
            int code = CompassTrainCli.Run(args, output, error, NullLoggerFactory.Instance);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }
}
