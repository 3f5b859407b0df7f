using Compass.Testing;
using Compass.Training.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Liff;

internal static class LiffTestUtil
{
    /// <summary>A small architecture with the paper's structure, for fast form/gradient checks.</summary>
    public static LiffConfig Small { get; } = new(FeatureWidth: 6, Blocks: 2, LayersPerBlock: 3, GrowthRate: 4, HiddenWidth: 24, HiddenLayers: 2);

    public static Tensor Load(string path)
    {
        var a = Npy.Load(path);
        return tensor(a.AsFloat(), a.Shape.Select(d => (long)d).ToArray(), ScalarType.Float32);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        using var d = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    /// <summary>Max |a - b| relative to max |b| (for gradients, whose scale varies per tensor).</summary>
    public static double MaxRelDiff(Tensor a, Tensor b)
    {
        using var scale = b.to_type(ScalarType.Float64).abs().max();
        return MaxAbsDiff(a, b) / Math.Max(scale.item<double>(), 1e-30);
    }

    /// <summary>Gradients of sum(P * weight) w.r.t. the input and every parameter.</summary>
    public static Tensor[] Gradients(Modules.Liff module, Tensor input, Tensor prediction, Tensor weight)
    {
        var inputs = new List<Tensor> { input };
        inputs.AddRange(module.parameters());
        using var loss = (prediction * weight).sum();
        return autograd.grad([loss], inputs).ToArray();
    }
}
