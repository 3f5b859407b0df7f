namespace Compass.Training.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        // First Ctrl+C: finish the current step, write a checkpoint, exit 130. Second: default (kill).
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            Console.Error.WriteLine("compass-train: stopping after this step and writing a checkpoint (Ctrl+C again to kill)...");
            cancel.Cancel();
        };
        return CompassTrainCli.Run(args, Console.Out, Console.Error, loggerFactory: null, cancel.Token);
    }
}
