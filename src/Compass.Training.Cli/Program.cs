using System.Runtime.InteropServices;

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
        // A background run (nohup, &) ignores SIGINT; SIGTERM (kill, a session or container shutting down)
        // gets the same graceful stop so the steps since the last periodic checkpoint are not lost.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            if (cancel.IsCancellationRequested) return;
            context.Cancel = true;
            Console.Error.WriteLine("compass-train: SIGTERM: stopping after this step and writing a checkpoint...");
            cancel.Cancel();
        });
        // The probe runs before the command tree is built: that touches Compass.Training, whose module initialiser
        // loads libtorch, and the probe is what reports a libtorch that does not load.
        if (args is ["probe-device"])
            return ProbeDeviceCommand.Run(new TrainCliContext(Console.Out, Console.Error, null, cancel.Token));
        return CompassTrainCli.Run(args, Console.Out, Console.Error, loggerFactory: null, cancel.Token);
    }
}
