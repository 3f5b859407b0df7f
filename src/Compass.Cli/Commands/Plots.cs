using Compass.Evaluation;

namespace Compass.Cli.Commands;

/// <summary>Writes the RD plots of <c>eval</c> and <c>report</c>, with one clear error where the plotting natives are missing.</summary>
internal static class Plots
{
    /// <exception cref="CliException">SkiaSharp's native library cannot be loaded (e.g. the gpu-linux tool variant, which ships none).</exception>
    public static IReadOnlyList<string> Write(EvaluationResults results, string folder)
    {
        try
        {
            return RdPlotter.WriteAll(results, folder);
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException)
        {
            throw new CliException("cannot draw the RD plots: SkiaSharp's native library is missing from this build of the tool " +
                "(the gpu-linux variant ships none). The results file is written; render the plots with 'compass report <results.json> --plots <folder>' " +
                "from the cpu variant.", ex);
        }
    }
}
