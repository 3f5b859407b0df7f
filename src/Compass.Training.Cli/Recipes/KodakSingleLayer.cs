using Compass.Evaluation;
using Compass.Onnx;

namespace Compass.Training.Cli.Recipes;

/// <summary>One image's single-layer result: real stream bytes and the decoded PSNR.</summary>
internal sealed record ImagePoint(string Image, long Bytes, double Bpp, double Psnr);

/// <summary>
/// Codes every image of a folder as a one-layer stream at its original size with a bundle's base codec and
/// measures it (the <c>single</c> setup of <see cref="RdEvaluator"/>, as <c>compass eval --setup single</c>):
/// the point that recipe benchmarks compare with classic codecs.
/// </summary>
internal static class KodakSingleLayer
{
    public static IReadOnlyList<ImagePoint> Evaluate(string bundle, string folder, int count, TextWriter progress, CancellationToken cancel)
    {
        var images = Directory.EnumerateFiles(folder)
            .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Take(count).ToList();
        if (images.Count == 0) throw new DirectoryNotFoundException($"No PNG images in '{folder}'.");
        using var model = OnnxCompassModel.Load(bundle, new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        var results = new RdEvaluator().Evaluate([new EvaluatedModel("recipe", model, new Quality(model.Qualities[0]))], images, [EvaluationSetup.Single],
            progress: new Progress(progress), cancellationToken: cancel);
        return results.Setups[0].Rows
            .Where(r => r.Curve == Curves.SingleLayer)
            .Select(r => new ImagePoint(r.Image, r.TotalBytes, r.Bpp, r.Psnr))
            .ToList();
    }

    /// <summary>Writes progress lines synchronously (System.Progress would post them to the thread pool).</summary>
    private sealed class Progress(TextWriter output) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => output.WriteLine($"  {value.Image}: {value.Summary}");
    }
}
