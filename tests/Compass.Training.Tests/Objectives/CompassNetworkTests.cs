using Compass.Training.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Objectives;

public class CompassNetworkTests
{
    [Fact]
    public void ChildrenAreNamedForTheExporter()
    {
        using var net = ObjectiveTestUtil.Network();
        var prefixes = net.state_dict().Keys.Select(k => k[..k.IndexOf('.')]).Distinct().OrderBy(k => k).ToArray();
        Assert.Equal(["base", "liff", "residual"], prefixes);
        Assert.Contains("base.g_a.0.weight", net.state_dict().Keys);
        Assert.Contains("liff.imnet.0.weight", net.state_dict().Keys);
        Assert.Contains("residual.entropy_bottleneck.quantiles", net.state_dict().Keys);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ForwardGivesOneFiniteResultPerLayerAtOddSizes(int enhancementLayers)
    {
        using var net = ObjectiveTestUtil.Network();
        (int, int)[] sizes = enhancementLayers == 1 ? [(13, 11), (37, 29)] : [(13, 11), (23, 19), (37, 29)];
        using var batch = ObjectiveTestUtil.Batch(sizes);
        using var scope = NewDisposeScope();
        foreach (var training in new[] { true, false })
        {
            using var result = net.Forward(batch.Layers, training);
            Assert.Equal(enhancementLayers + 1, result.Layers.Count);
            for (int k = 0; k < result.Layers.Count; k++)
            {
                var l = result.Layers[k];
                Assert.Equal(batch.Layers[k].shape, l.Reconstruction.shape);
                double rate = l.Rate.item<float>(), mse = l.Mse.item<float>();
                Assert.True(double.IsFinite(rate) && rate > 0, $"layer {k} rate {rate}");
                Assert.True(double.IsFinite(mse) && mse >= 0, $"layer {k} mse {mse}");
                // Only the enhancement layers carry a graph: the base layer is frozen.
                Assert.Equal(k > 0, l.Mse.requires_grad);
            }
        }
    }

    [Fact]
    public void EnhancementLayersUseTheBaseReconstructionAndAreNotClamped()
    {
        using var net = ObjectiveTestUtil.Network();
        using var batch = ObjectiveTestUtil.Batch((9, 9), (17, 17));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var result = net.Forward(batch.Layers, training: false);
        using var bl = net.Base.Forward(batch.Layers[0], training: false);
        Assert.True(bl.XHat.allclose(result.Layers[0].Reconstruction, rtol: 0, atol: 0));
        var prediction = net.Liff.Predict(bl.XHat, 17, 17);
        using var coded = net.Residual.Forward(batch.Layers[1] - prediction, training: false);
        Assert.True((prediction + coded.XHat).allclose(result.Layers[1].Reconstruction, rtol: 1e-5, atol: 1e-6));
    }
}
