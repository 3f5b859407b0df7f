using Compass.Training.Modules;
using Compass.Training.Objectives;
using Compass.Training.Tests.Data;
using Compass.Training.Training;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Objectives;

[Collection(TorchGlobalState.Name)]
public class ObjectiveTests
{
    [Theory]
    [InlineData(TrainingStage.BaseLayer)]
    [InlineData(TrainingStage.Liff)]
    [InlineData(TrainingStage.Residual)]
    [InlineData(TrainingStage.Joint)]
    public void LossDecreasesOnAFixedBatch(TrainingStage stage)
    {
        using var objective = StageObjectives.Create(stage, ObjectiveTestUtil.Network(), 0.0067);
        (int, int)[] sizes = stage == TrainingStage.BaseLayer ? [(32, 32)] : [(8, 8), (14, 14), (32, 32)];
        using var batch = ObjectiveTestUtil.Batch(sizes);
        var parameters = objective.MainParameters().ToArray();
        using var optimizer = optim.Adam(parameters, 3e-3);
        var losses = new List<double>();
        objective.Model.train();
        for (int step = 0; step < 12; step++)
        {
            using var scope = NewDisposeScope();
            manual_seed(3); // the same quantisation noise every step: only the weights change
            var result = objective.ComputeLoss(batch, step);
            losses.Add(result.Loss.item<float>());
            Assert.True(result.Metrics.ContainsKey("psnr") && result.Metrics.ContainsKey("mse"));
            Assert.Equal(stage != TrainingStage.Liff, result.Metrics.ContainsKey("bpp"));
            optimizer.zero_grad();
            result.Loss.backward();
            optimizer.step();
        }
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < 0.9 * losses[0], $"{stage}: {string.Join(", ", losses.Select(l => l.ToString("G4")))}");
    }

    [Theory]
    [InlineData(TrainingStage.BaseLayer, "base")]
    [InlineData(TrainingStage.Liff, "liff")]
    [InlineData(TrainingStage.Residual, "residual")]
    public void EachStageTrainsOnlyItsChild(TrainingStage stage, string child)
    {
        using var objective = StageObjectives.Create(stage, ObjectiveTestUtil.Network(), 0.0067);
        var trained = objective.MainParameters().Concat(objective.AuxiliaryParameters()).Select(p => p.Handle).ToHashSet();
        var ofChild = objective.Network.named_parameters().Where(p => p.name.StartsWith(child + ".", StringComparison.Ordinal)).Select(p => p.parameter.Handle).ToHashSet();
        Assert.True(trained.SetEquals(ofChild));
        Assert.Equal(stage == TrainingStage.Liff, !objective.AuxiliaryParameters().Any());
    }

    [Fact]
    public void JointLeavesTheFrozenBaseLayerUntouched()
    {
        using var objective = new JointObjective(ObjectiveTestUtil.Network(), 0.0067);
        using var batch = ObjectiveTestUtil.Batch((8, 8), (14, 14), (32, 32));
        var before = objective.Network.Base.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var main = objective.MainParameters().ToArray();
        Assert.DoesNotContain(main, p => objective.Network.Base.parameters().Any(b => b.Handle == p.Handle));
        using var optimizer = optim.Adam(main, 1e-2);
        using var aux = optim.Adam(objective.AuxiliaryParameters(), 1e-2);
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            var result = objective.ComputeLoss(batch, step);
            optimizer.zero_grad();
            result.Loss.backward();
            optimizer.step();
            aux.zero_grad();
            objective.AuxiliaryLoss()!.backward();
            aux.step();
        }
        foreach (var p in objective.Network.Base.parameters())
        {
            Assert.False(p.requires_grad);
            Assert.True(p.grad is null || p.grad.IsInvalid || p.grad.abs().max().item<float>() == 0);
        }
        foreach (var (name, t) in objective.Network.Base.state_dict())
            Assert.True(t.allclose(before[name], rtol: 0, atol: 0), $"base.{name} changed");
        Assert.Contains(objective.Network.Liff.parameters(), p => p.grad is not null);
    }

    [Fact]
    public void EvaluateReportsPerLayerMetricsWithoutAGraph()
    {
        using var objective = new JointObjective(ObjectiveTestUtil.Network(), 0.0067);
        using var batch = ObjectiveTestUtil.Batch((8, 8), (14, 14), (32, 32));
        objective.Model.eval();
        using var noGrad = no_grad();
        var metrics = objective.Evaluate(batch);
        foreach (var key in new[] { "bpp", "psnr", "mse", "bpp0", "psnr0", "bpp1", "psnr1", "bpp2", "psnr2" })
            Assert.True(metrics.ContainsKey(key) && double.IsFinite(metrics[key]), key);
    }
}
