using Compass.Pipeline;
using TorchSharp;
using static Compass.Training.Tests.Liff.LiffTestUtil;
using static TorchSharp.torch;
using LiffConfig = Compass.Training.Modules.LiffConfig;
using LiffModule = Compass.Training.Modules.Liff;

namespace Compass.Training.Tests.Liff;

/// <summary>The low-resolution form against the naive form (the official computation), values and gradients.</summary>
public class LiffFormsTests
{
    public static TheoryData<int, int, int, int> Sizes => new()
    {
        { 5, 7, 13, 9 },   // odd sizes, 2.6x by 1.29x
        { 4, 4, 16, 5 },   // 4x by 1.25x
        { 6, 3, 6, 12 },   // 1x by 4x
        { 1, 1, 3, 2 },    // one source pixel
        { 7, 6, 7, 6 },    // identity size
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void LowResFormEqualsNaiveFormInValuesAndGradients(int h, int w, int height, int width)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(11 + h * 100 + height);
        using var module = new LiffModule(Small);
        module.to(ScalarType.Float64);
        module.ChunkSize = 10; // several chunks, the last one partial
        var grid = LiffGrid.Create(h, w, height, width);
        var x = rand(2, 3, h, w, ScalarType.Float64).requires_grad_();
        var weight = randn(2, 3, height, width, ScalarType.Float64);

        var fast = module.Forward(x, grid);
        var naive = module.ForwardNaive(x, grid);
        Assert.True(MaxAbsDiff(fast, naive) < 1e-12, $"forward differs by {MaxAbsDiff(fast, naive)}");

        var gFast = Gradients(module, x, fast, weight);
        var gNaive = Gradients(module, x, naive, weight);
        var names = new[] { "input" }.Concat(module.named_parameters().Select(p => p.name)).ToArray();
        for (int k = 0; k < gFast.Length; k++)
            Assert.True(MaxRelDiff(gFast[k], gNaive[k]) < 1e-10, $"gradient of {names[k]} differs by {MaxRelDiff(gFast[k], gNaive[k])} (relative)");
    }

    [Fact]
    public void PaperPresetLowResFormEqualsNaiveFormInValuesAndGradients()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var module = new LiffModule(LiffConfig.Paper);
        module.to(ScalarType.Float64);
        module.ChunkSize = 50;
        var grid = LiffGrid.Create(6, 5, 11, 13);
        var x = rand(1, 3, 6, 5, ScalarType.Float64).requires_grad_();
        var weight = randn(1, 3, 11, 13, ScalarType.Float64);
        var fast = module.Forward(x, grid);
        var naive = module.ForwardNaive(x, grid);
        Assert.True(MaxAbsDiff(fast, naive) < 1e-12, $"forward differs by {MaxAbsDiff(fast, naive)}");
        var gFast = Gradients(module, x, fast, weight);
        var gNaive = Gradients(module, x, naive, weight);
        for (int k = 0; k < gFast.Length; k++) Assert.True(MaxRelDiff(gFast[k], gNaive[k]) < 1e-10, $"gradient {k}: {MaxRelDiff(gFast[k], gNaive[k])}");
    }

    [Fact]
    public void ChunkSizeDoesNotChangeResultsOrGradients()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        using var module = new LiffModule(Small);
        var grid = LiffGrid.Create(9, 8, 20, 17);
        var x = rand(1, 3, 9, 8).requires_grad_();
        var weight = randn(1, 3, 20, 17);
        Tensor? reference = null;
        Tensor[]? referenceGrads = null;
        foreach (int chunk in new[] { grid.TargetPixels, 1, 7, 64, 1000 })
        {
            module.ChunkSize = chunk;
            var p = module.Forward(x, grid);
            var g = Gradients(module, x, p, weight);
            var pn = module.ForwardNaive(x, grid);
            if (reference is null) { reference = p; referenceGrads = g; continue; }
            Assert.True(MaxAbsDiff(p, reference) < 1e-6, $"chunk {chunk}: forward {MaxAbsDiff(p, reference)}");
            Assert.True(MaxAbsDiff(pn, reference) < 1e-5, $"chunk {chunk}: naive {MaxAbsDiff(pn, reference)}");
            for (int k = 0; k < g.Length; k++)
                Assert.True(MaxRelDiff(g[k], referenceGrads![k]) < 1e-5, $"chunk {chunk}: gradient {k} {MaxRelDiff(g[k], referenceGrads[k])}");
        }
    }

    [Fact]
    public void PredictUsesTheCorrectTokenAndValidatesInput()
    {
        using var scope = NewDisposeScope();
        using var module = new LiffModule(Small);
        var x = rand(1, 3, 4, 6);
        var viaPredict = module.Predict(x, 9, 10);
        var viaGrid = module.Forward(x, LiffGrid.Create(4, 6, 9, 10));
        Assert.Equal(0, MaxAbsDiff(viaPredict, viaGrid));
        Assert.Equal(new long[] { 1, 3, 9, 10 }, viaPredict.shape);
        Assert.Throws<ArgumentException>(() => module.Predict(rand(1, 1, 4, 6), 8, 8));
        Assert.Throws<ArgumentException>(() => module.Forward(x, LiffGrid.Create(5, 6, 9, 10)));
        Assert.Throws<ArgumentOutOfRangeException>(() => module.ChunkSize = 0);
    }

    [Fact]
    public void InferenceUnderNoGradMatchesTrainingForward()
    {
        using var scope = NewDisposeScope();
        using var module = new LiffModule(Small);
        var x = rand(2, 3, 5, 5);
        var grid = LiffGrid.Create(5, 5, 12, 11);
        var train = module.Forward(x, grid);
        using var noGrad = no_grad();
        var infer = module.Forward(x, grid);
        Assert.False(infer.requires_grad);
        Assert.Equal(0, MaxAbsDiff(train, infer));
    }
}
