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
}
