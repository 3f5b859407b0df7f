using System.Collections;
using Compass.Training.Modules;
using TorchSharp.PyBridge;
using static Compass.Training.Tests.Liff.LiffTestUtil;
using static TorchSharp.torch;
using LiffModule = Compass.Training.Modules.Liff;

namespace Compass.Training.Tests.Liff;

public class LiffWeightsTests
{
    private static MemoryStream Pickle(IDictionary dict)
    {
        var stream = new MemoryStream();
        PyTorchPickler.PickleStateDict(stream, dict, leaveOpen: true);
        stream.Position = 0;
        return stream;
    }

    private static Hashtable StateDict(LiffModule module)
    {
        var table = new Hashtable();
        foreach (var (name, p) in module.named_parameters()) table[name] = p.detach().clone();
        return table;
    }

    private static void AssertSameParameters(LiffModule a, LiffModule b)
    {
        var pb = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in a.named_parameters()) Assert.True(MaxAbsDiff(p, pb[name]) == 0, name);
    }

    [Fact]
    public void LoadsAPlainStateDict()
    {
        using var scope = NewDisposeScope();
        using var source = new LiffModule(LiffTestUtil.Small);
        using var target = new LiffModule(LiffTestUtil.Small);
        using var stream = Pickle(StateDict(source));
        LiffWeights.Load(target, stream, "memory");
        AssertSameParameters(source, target);
    }

    [Theory]
    [InlineData("conti_sr_state_dict")]
    [InlineData("model_state_dict")]
    public void LoadsTheNestedStateDictOfOfficialCheckpoints(string key)
    {
        using var scope = NewDisposeScope();
        using var source = new LiffModule(LiffTestUtil.Small);
        using var target = new LiffModule(LiffTestUtil.Small);
        using var other = new LiffModule(LiffTestUtil.Small);
        var checkpoint = new Hashtable { [key] = StateDict(source), ["residual_state_dict"] = StateDict(other), ["epoch"] = 7 };
        using var stream = Pickle(checkpoint);
        LiffWeights.Load(target, stream, "memory");
        AssertSameParameters(source, target);
    }

    [Fact]
    public void ReportsMissingMismatchedAndUnexpectedKeys()
    {
        using var scope = NewDisposeScope();
        using var module = new LiffModule(LiffTestUtil.Small);
        var dict = StateDict(module);
        dict.Remove("GFF.1.bias");
        dict["SFENet1.weight"] = zeros(2, 3, 3, 3);
        dict["extra.weight"] = zeros(1);
        using var stream = Pickle(dict);
        var e = Assert.Throws<CompassFormatException>(() => LiffWeights.Load(module, stream, "bad.pt"));
        Assert.Contains("missing key 'GFF.1.bias'", e.Message);
        Assert.Contains("'SFENet1.weight' has shape [2, 3, 3, 3], expected [6, 3, 3, 3]", e.Message);
        Assert.Contains("unexpected key 'extra.weight'", e.Message);
        Assert.StartsWith("bad.pt:", e.Message);
    }

    [Fact]
    public void RejectsAPaperCheckpointInASmallerModule()
    {
        using var scope = NewDisposeScope();
        using var paper = new LiffModule(LiffConfig.Paper);
        using var small = new LiffModule(LiffTestUtil.Small);
        using var stream = Pickle(StateDict(paper));
        Assert.Throws<CompassFormatException>(() => LiffWeights.Load(small, stream, "paper.pt"));
    }

    [Fact]
    public void RejectsBytesThatAreNotATorchFile()
    {
        using var module = new LiffModule(LiffTestUtil.Small);
        using var stream = new MemoryStream([1, 2, 3, 4, 5, 6, 7, 8]);
        var e = Assert.Throws<CompassFormatException>(() => LiffWeights.Load(module, stream, "junk.bin"));
        Assert.StartsWith("junk.bin:", e.Message);
    }
}
