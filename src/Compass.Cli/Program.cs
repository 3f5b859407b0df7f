namespace Compass.Cli;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        HugePages.RestartWithHugePagesIfUseful(args);
        NativeHeap.ReturnLargeBlocksToTheSystem();
        using var cancel = new CancellationTokenSource();
        // First Ctrl+C cancels the encode or decode cleanly (no partial stream is left); a second one kills.
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };
        var context = new CliContext { Out = Console.Out, Error = Console.Error, LoadModel = ModelLoading.Load, ErrorIsTerminal = !Console.IsErrorRedirected };
        return await CompassCli.RunAsync(args, context, cancel.Token);
    }
}
