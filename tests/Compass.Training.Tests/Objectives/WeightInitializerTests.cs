using Compass.Testing;
using Compass.Training.Objectives;
using Compass.Training.Tests.Data;
using Compass.Training.Training;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Objectives;

public class WeightInitializerTests
{
    [Fact]
    public void LoadsOnlyTheNamedChildren()
    {
        using var folder = new TempDir();
        using var source = ObjectiveTestUtil.Network(seed: 11);
        var path = folder.Combine("model-f16.weights");
        CompactWeights.Export(source, path);
        using var target = ObjectiveTestUtil.Network(seed: 22);
        var liffBefore = target.Liff.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var (children, file) = WeightInitializer.Parse("base,residual=" + path);
        Assert.Equal(["base", "residual"], children);
        WeightInitializer.Load(target, children, file);

        foreach (var (name, t) in target.Base.state_dict())
            Assert.True(t.allclose(source.Base.state_dict()[name], rtol: 2e-3, atol: 1e-4), name);
        foreach (var (name, t) in target.Residual.state_dict())
            Assert.True(t.allclose(source.Residual.state_dict()[name], rtol: 2e-3, atol: 1e-4), name);
        foreach (var (name, t) in target.Liff.state_dict())
            Assert.True(t.allclose(liffBefore[name], rtol: 0, atol: 0), name);
    }

    [Fact]
    public void TargetSourcePair_StartsTheResidualCodecFromTheBaseCodec()
    {
        using var folder = new TempDir();
        using var source = ObjectiveTestUtil.Network(seed: 11);
        var path = folder.Combine("model-f16.weights");
        CompactWeights.Export(source, path);
        using var target = ObjectiveTestUtil.Network(seed: 22);

        var (children, file) = WeightInitializer.Parse("residual:base=" + path);
        WeightInitializer.Load(target, children, file);

        var residual = target.Residual.state_dict();
        foreach (var (name, t) in source.Base.state_dict())
            Assert.True(residual[name].allclose(t, rtol: 2e-3, atol: 1e-4), name);
        Assert.False(target.Base.state_dict().First().Value.allclose(source.Base.state_dict().First().Value)); // base untouched
        Assert.Throws<ArgumentException>(() => WeightInitializer.Parse("liff:base=" + path));
        Assert.Throws<ArgumentException>(() => WeightInitializer.Parse("residual:head=" + path));
    }

    [Fact]
    public void InfersTheChildrenFromTheModelCardsStage()
    {
        using var folder = new TempDir();
        using var source = ObjectiveTestUtil.Network(seed: 11);
        var path = folder.Combine("model-f16.weights");
        CompactWeights.Export(source, path);
        Assert.Throws<ArgumentException>(() => WeightInitializer.Parse(path)); // no card: cannot tell
        File.WriteAllText(folder.Combine("model-f16.card.json"), """{ "format": "compass-model-card/1", "stage": "liff" }""");
        var (children, _) = WeightInitializer.Parse(path);
        Assert.Equal(["liff"], children);
        Assert.Throws<ArgumentException>(() => WeightInitializer.Parse("head=" + path));
    }

    [Fact]
    public void ReadsTrainerCheckpointsAndRejectsOtherShapes()
    {
        using var folder = new TempDir();
        using var source = ObjectiveTestUtil.Network(seed: 11);
        var path = folder.Combine("step-00000001.ckpt");
        using (var ms = new MemoryStream())
        {
            using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) source.save(w);
            new Checkpoint(new CheckpointHeader { Step = 1, Schedule = "constant", Run = new RunDescription { Stage = TrainingStage.BaseLayer, Preset = "tiny" } },
                new Dictionary<string, byte[]> { ["model"] = ms.ToArray() }).Save(path);
        }
        using var target = ObjectiveTestUtil.Network(seed: 22);
        var (children, file) = WeightInitializer.Parse(path);
        Assert.Equal(["base"], children);
        WeightInitializer.Load(target, children, file);
        foreach (var (name, t) in target.Base.state_dict())
            Assert.True(t.allclose(source.Base.state_dict()[name], rtol: 0, atol: 0), name);

        using var other = new Modules.CompassNetwork(ObjectiveTestUtil.Tiny with { Name = "tiny2", BaseN = 16 });
        Assert.Throws<CompassFormatException>(() => WeightInitializer.Load(other, ["base"], path));
    }
}
