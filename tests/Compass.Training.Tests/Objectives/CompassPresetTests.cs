using Compass.Testing;
using Compass.Training.Modules;

namespace Compass.Training.Tests.Objectives;

public class CompassPresetTests
{
    private static long Parameters(CompassPreset preset)
    {
        using var network = new CompassNetwork(preset);
        return network.parameters().Sum(p => p.numel());
    }

    [Fact]
    public void Presets_AreFoundByName_AndOrderedBySize()
    {
        Assert.Same(CompassPresets.Slim, CompassPresets.Get("SLIM"));
        Assert.Equal((48, 72, 48, 72), (CompassPresets.Slim.BaseN, CompassPresets.Slim.BaseM, CompassPresets.Slim.ResidualN, CompassPresets.Slim.ResidualM));
        Assert.Equal(CompassPresets.Compact.Liff, CompassPresets.Slim.Liff);
        Assert.Throws<ArgumentException>(() => CompassPresets.Get("huge"));

        long slim = Parameters(CompassPresets.Slim), compact = Parameters(CompassPresets.Compact), paper = Parameters(CompassPresets.Paper);
        Assert.True(slim < compact && compact < paper, $"slim {slim}, compact {compact}, paper {paper}");
    }

    [Theory]
    [InlineData("compact-sgdn", CodecNonlinearity.SimplifiedGdn)]
    [InlineData("compact-relu", CodecNonlinearity.Relu)]
    public void CheaperNonlinearityPresets_AreCompactOtherwise_AndTheirWeightsLoadAsThemselves(string name, CodecNonlinearity nonlinearity)
    {
        var preset = CompassPresets.Get(name);
        Assert.Equal(nonlinearity, preset.Nonlinearity);
        Assert.Equal(CompassPresets.Compact with { Name = name, Nonlinearity = nonlinearity }, preset);
        Assert.Equal(CodecNonlinearity.Gdn, CompassPresets.Compact.Nonlinearity);

        using var folder = new TempDir();
        TorchSharp.torch.manual_seed(4);
        using var network = new CompassNetwork(preset);
        Assert.Equal(nonlinearity, network.Base.Nonlinearity);
        Assert.Equal(nonlinearity, network.Residual.Nonlinearity);
        var path = folder.Combine("model-f16.weights");
        Training.CompactWeights.Export(network, path);
        using var weights = Compass.Training.Export.CompassWeights.Load(path);
        Assert.Equal(nonlinearity, weights.BaseCodec.Nonlinearity);
        Assert.Equal(nonlinearity, weights.ResidualCodec.Nonlinearity);

        // A GDN network refuses these weights instead of loading them as something else.
        using var gdn = new CompassNetwork(CompassPresets.Compact);
        Assert.Throws<CompassFormatException>(() => Compass.Training.Objectives.WeightInitializer.Load(gdn, ["base"], path));
    }
}
