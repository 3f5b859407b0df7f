using Compass.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Compass.Cli;

/// <summary>What the user asked for with <c>--model</c>, <c>--provider</c> and <c>--threads</c>.</summary>
/// <param name="Path">A model bundle (folder or zip) or a folder of bundles; null for the embedded default model.</param>
/// <param name="Provider">Where ONNX Runtime runs the networks.</param>
/// <param name="Threads">Intra-op threads; 0 lets ONNX Runtime choose.</param>
/// <param name="Logging">Receives provider choices and fallbacks.</param>
/// <param name="MemoryArena">Keep ONNX Runtime's memory arena (<see cref="OnnxRuntimeOptions.EnableMemoryArena"/>).</param>
internal sealed record ModelRequest(string? Path, ExecutionProvider Provider, int Threads, ILoggerFactory Logging, bool MemoryArena = false);

/// <summary>
/// The only place that touches <see cref="OnnxCompassModel"/>: the CLI gets models through a
/// <c>Func&lt;ModelRequest, CompassModel&gt;</c> seam, so tests run it with fake networks.
/// </summary>
internal static class ModelLoading
{
    /// <summary>Loads the ONNX model set the request names.</summary>
    /// <exception cref="CliException">The bundle is missing or invalid, no default model is embedded, or the provider is unavailable.</exception>
    public static CompassModel Load(ModelRequest request)
    {
        var options = new OnnxRuntimeOptions
        {
            Provider = request.Provider,
            IntraOpThreads = request.Threads,
            EnableMemoryArena = request.MemoryArena,
            // One command, one process: create only the sessions the command runs (a decode has no analysis graphs).
            CreateSessionsOnFirstUse = true,
            Logger = request.Logging.CreateLogger("Compass.Onnx"),
        };
        try
        {
            return request.Path is null ? OnnxCompassModel.LoadDefault(options) : OnnxCompassModel.Load(request.Path, options);
        }
        catch (InvalidOperationException ex) when (request.Path is null)
        {
            throw new CliException($"no default model: {ex.Message} Pass a model bundle with --model <path>.", ex);
        }
        catch (Exception ex) when (ex is NotSupportedException or OnnxRuntimeException or InvalidDataException)
        {
            throw new CliException($"cannot load the model{(request.Path is null ? "" : $" '{request.Path}'")}: {ex.Message}", ex);
        }
    }

    /// <summary>The execution provider a loaded model runs on (lower case), or null when the model is not an ONNX one.</summary>
    public static string? ProviderOf(CompassModel model) =>
        model is OnnxCompassModel onnx ? onnx.ActiveProvider.ToString().ToLowerInvariant() : null;
}
