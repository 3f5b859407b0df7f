using Compass.Testing;
using Compass.Training.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Data;

/// <summary>
/// The training pipeline's layer images against Pillow's BICUBIC, which made the official layer images
/// (compass3 fixture). Required: mean absolute difference at most 0.5 of an 8-bit level.
/// </summary>
public class DownscalerPillowParityTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("layer0_input.npy", 32, 48)]
    [InlineData("layer1_input.npy", 64, 96)]
    public void BicubicAntialiasIsWithinHalfALevelOfPillow(string file, int height, int width)
    {
        var original = Npy.Load(Path.Combine(SharedData.Official, "compass3", "original.npy"));
        var expected = Npy.Load(Path.Combine(SharedData.Official, "compass3", file));
        using var input = tensor(original.AsFloat(), [1, 3, 128, 192]);
        using var resized = Downscalers.BicubicAntialias(input, height, width);
        var actual = resized.data<float>().ToArray();
        double sum = 0, worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected.Data[i]) * 255;
            sum += d;
            worst = Math.Max(worst, d);
        }
        double mean = sum / actual.Length;
        output.WriteLine($"{file}: mean |torch - Pillow| = {mean:F3} levels, max {worst:F2}");
        Assert.True(mean <= 0.5, $"mean absolute difference {mean:F3} levels exceeds 0.5");
    }
}
