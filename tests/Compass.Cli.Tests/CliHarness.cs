using Compass.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Cli.Tests;

/// <summary>What one in-process <c>compass</c> run printed and returned.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";
}

/// <summary>Runs the CLI in-process over fake networks, in a temporary folder that it deletes.</summary>
internal sealed class CliHarness : IDisposable
{
    // Building the fake entropy tables dominates a small run: share one model per seed. The CLI disposes the
    // models it loads, which is a no-op for fakes, so sharing them is safe.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<byte, FakeModel> Models = new();

    /// <summary>The shared fake model of a seed (qualities 1 and 2; default quality 2).</summary>
    public static FakeModel Model(byte seed = 1) => Models.GetOrAdd(seed, s => new FakeModel(s));

    public CliHarness()
    {
        Folder = Directory.CreateTempSubdirectory("compass-cli-tests-").FullName;
    }

    public string Folder { get; }

    /// <summary>Seed of the fake model the next runs load (another seed is another model identity).</summary>
    public byte ModelSeed { get; set; } = 1;

    /// <summary>Replaces model loading (e.g. to throw).</summary>
    public Func<ModelRequest, CompassModel>? LoadModel { get; set; }

    public List<ModelRequest> Requests { get; } = [];

    /// <summary>The bytes the next runs read as standard input (<c>-</c>).</summary>
    public byte[] StandardInput { get; set; } = [];

    /// <summary>The bytes the last run wrote to standard output as a stream (<c>-o -</c>), not as text.</summary>
    public byte[] StandardOutput { get; private set; } = [];

    public string PathOf(string name) => Path.Combine(Folder, name);

    public CliRun Run(params string[] args) => Run(CancellationToken.None, args);

    /// <summary>Runs the tool and asserts that it succeeded (the run's output is the failure message).</summary>
    public CliRun RunOk(params string[] args)
    {
        var run = Run(args);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    public CliRun Run(CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var stdout = new KeptMemoryStream();
        var context = new CliContext
        {
            Out = output,
            Error = error,
            LoadModel = request =>
            {
                Requests.Add(request);
                return LoadModel?.Invoke(request) ?? Model(ModelSeed);
            },
            CreateLogging = _ => NullLoggerFactory.Instance,
            OpenStandardInput = () => new MemoryStream(StandardInput, writable: false),
            OpenStandardOutput = () => stdout,
        };
        int code = CompassCli.RunAsync(args, context, cancellationToken).GetAwaiter().GetResult();
        StandardOutput = stdout.ToArray();
        return new CliRun(code, output.ToString().Replace("\r\n", "\n"), error.ToString().Replace("\r\n", "\n"));
    }

    /// <summary>Writes a smooth synthetic test image as PNG and returns its path.</summary>
    public string WriteImage(string name, int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(128 + 100 * Math.Sin(x / 17.0)), (byte)(x * y % 251), (byte)(255 * y / height));
        string path = PathOf(name);
        image.SaveAsPng(path);
        return path;
    }

    // Standard output outlives the command's "using": the test reads it afterwards.
    private sealed class KeptMemoryStream : MemoryStream
    {
        protected override void Dispose(bool disposing) { }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }
}
