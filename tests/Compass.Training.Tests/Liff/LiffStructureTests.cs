using Compass.Training.Modules;
using static TorchSharp.torch;
using LiffModule = Compass.Training.Modules.Liff;

namespace Compass.Training.Tests.Liff;

public class LiffStructureTests
{
    [Fact]
    public void PaperPresetHasTheOfficialParameterCountAndNames()
    {
        using var module = new LiffModule(LiffConfig.Paper);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(1_448_320, parameters.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));
        Assert.Equal(58, parameters.Count);
        Assert.Equal(new long[] { 64, 3, 3, 3 }, parameters["SFENet1.weight"]);
        Assert.Equal(new long[] { 32, 160, 3, 3 }, parameters["RDBs.3.convs.3.conv.0.weight"]);
        Assert.Equal(new long[] { 64, 192, 1, 1 }, parameters["RDBs.0.LFF.weight"]);
        Assert.Equal(new long[] { 64, 256, 1, 1 }, parameters["GFF.0.weight"]);
        Assert.Equal(new long[] { 64, 64, 3, 3 }, parameters["GFF.1.weight"]);
        Assert.Equal(new long[] { 256, 580 }, parameters["imnet.0.weight"]);
        Assert.Equal(new long[] { 256, 256 }, parameters["imnet.6.weight"]);
        Assert.Equal(new long[] { 1728, 256 }, parameters["imnet.8.weight"]);
        Assert.Equal(new long[] { 1728 }, parameters["imnet.8.bias"]);
    }

    [Fact]
    public void ConfigDerivesWidthsAndRejectsNonsense()
    {
        Assert.Equal(576, LiffConfig.Paper.UnfoldedWidth);
        Assert.Equal(580, LiffConfig.Paper.MlpInputWidth);
        Assert.Equal(1728, LiffConfig.Paper.FilterWidth);
        Assert.Throws<ArgumentException>(() => new LiffModule(LiffConfig.Paper with { Blocks = 0 }));
    }

    [Fact]
    public void SmallerConfigsBuildAndRun()
    {
        var config = new LiffConfig(16, 2, 2, 8, 64, 1);
        using var module = new LiffModule(config);
        Assert.Equal(new[] { "imnet.0.weight", "imnet.0.bias", "imnet.2.weight", "imnet.2.bias", "imnet.4.weight", "imnet.4.bias" },
            module.named_parameters().Select(p => p.name).Where(n => n.StartsWith("imnet", StringComparison.Ordinal)));
        using var scope = NewDisposeScope();
        var p = module.Predict(rand(1, 3, 3, 4), 5, 9);
        Assert.Equal(new long[] { 1, 3, 5, 9 }, p.shape);
    }
}
