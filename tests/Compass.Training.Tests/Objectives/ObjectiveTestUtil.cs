using Compass.Training.Data;
using Compass.Training.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Objectives;

internal static class ObjectiveTestUtil
{
    /// <summary>Small enough for tests that take a few seconds on 2 cores.</summary>
    public static CompassPreset Tiny { get; } = new("tiny", 8, 8, 8, 8, new LiffConfig(8, 1, 2, 4, 16, 1));

    public static CompassNetwork Network(long seed = 1)
    {
        manual_seed(seed);
        return new CompassNetwork(Tiny);
    }

    /// <summary>A smooth synthetic batch: layer k is the bicubic downscale of a fixed random-ish image.</summary>
    public static TrainingBatch Batch(params (int H, int W)[] sizes)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var (h, w) = sizes[^1];
        var yy = linspace(0, 1, h).view(1, 1, h, 1);
        var xx = linspace(0, 1, w).view(1, 1, 1, w);
        var top = cat([(yy * 3 + xx * 2).sin(), (xx * 5).cos() * yy, yy * xx], 1) * 0.4 + 0.5;
        top = (top.expand(2, 3, h, w) + rand(2, 3, h, w) * 0.05).clamp(0, 1);
        var layers = sizes.Select(s => Downscalers.BicubicAntialias(top, s.H, s.W).MoveToOuterDisposeScope()).ToArray();
        return new TrainingBatch(0, layers);
    }
}
