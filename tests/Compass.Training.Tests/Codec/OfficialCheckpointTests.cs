using System.Collections;
using Compass.Training.Import;
using Compass.Training.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Codec;

public sealed class OfficialCheckpointTests
{
    private static Dictionary<string, Tensor> StateOf(MeanScaleHyperprior codec) =>
        codec.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    [Fact]
    public void CopyIntoReproducesTheSourceCodec()
    {
        manual_seed(11);
        using var a = new MeanScaleHyperprior(8, 12);
        using var b = new MeanScaleHyperprior(8, 12);
        using var scope = NewDisposeScope();
        var sd = StateOf(a);
        // CompressAI's table buffers are skipped, its constants are checked.
        sd["entropy_bottleneck._quantized_cdf"] = zeros(8, 22, dtype: ScalarType.Int32);
        sd["entropy_bottleneck._offset"] = zeros(8, dtype: ScalarType.Int32);
        sd["g_a.1.beta_reparam.pedestal"] = tensor(new[] { (float)Gdn.Pedestal });
        sd["g_a.1.gamma_reparam.lower_bound.bound"] = tensor(new[] { Gdn.GammaBound });
        sd["gaussian_conditional.scale_bound"] = tensor(new[] { 0.11f });
        OfficialCheckpoint.CopyInto(b, sd);
        using var _ = no_grad();
        var x = rand(1, 3, 33, 21);
        using var ra = a.Forward(x, training: false);
        using var rb = b.Forward(x, training: false);
        Assert.Equal(0f, ra.XHat.sub(rb.XHat).abs().max().item<float>());
    }

    [Fact]
    public void MissingUnexpectedAndMisshapenKeysAreNamed()
    {
        using var codec = new MeanScaleHyperprior(8, 12);
        using var scope = NewDisposeScope();
        var sd = StateOf(codec);
        sd.Remove("h_s.2.bias");
        sd["h_s.9.weight"] = zeros(1);
        sd["g_a.0.weight"] = zeros(8, 3, 3, 3);
        var ex = Assert.Throws<CompassFormatException>(() => OfficialCheckpoint.CopyInto(codec, sd, "test.pt"));
        Assert.Contains("missing key 'h_s.2.bias'", ex.Message);
        Assert.Contains("unexpected key 'h_s.9.weight'", ex.Message);
        Assert.Contains("shape mismatch for 'g_a.0.weight'", ex.Message);
        Assert.Contains("[8, 3, 3, 3]", ex.Message);
        Assert.StartsWith("test.pt", ex.Message);
    }

    [Fact]
    public void ADifferentConstantIsRejected()
    {
        using var codec = new MeanScaleHyperprior(8, 12);
        using var scope = NewDisposeScope();
        var sd = StateOf(codec);
        sd["gaussian_conditional.lower_bound_scale.bound"] = tensor(new[] { 0.2f });
        var ex = Assert.Throws<CompassFormatException>(() => OfficialCheckpoint.CopyInto(codec, sd));
        Assert.Contains("gaussian_conditional.lower_bound_scale.bound", ex.Message);
    }

    [Fact]
    public void NestingsAreResolved()
    {
        using var scope = NewDisposeScope();
        Hashtable Sd(string key) => new() { [key] = ones(2) };
        var compass = new Hashtable
        {
            ["base_state_dict"] = Sd("base"),
            ["residual_state_dict"] = Sd("residual"),
            ["conti_sr_state_dict"] = Sd("liff"),
            ["optimizer"] = new Hashtable { ["lr"] = 1e-4 },
        };
        using (var d = OfficialCheckpoint.FromUnpickled(compass, CheckpointEntry.BaseCodec, "c.pth")) Assert.Equal(["base"], d.Keys);
        using (var d = OfficialCheckpoint.FromUnpickled(compass, CheckpointEntry.ResidualCodec, "c.pth")) Assert.Equal(["residual"], d.Keys);
        using (var d = OfficialCheckpoint.FromUnpickled(compass, CheckpointEntry.Liff, "c.pth"))
        {
            Assert.Equal(["liff"], d.Keys);
            Assert.Equal("c.pth [conti_sr_state_dict]", d.Source);
        }
        foreach (var wrapper in new[] { "model_state_dict", "state_dict", "network" })
        {
            using var d = OfficialCheckpoint.FromUnpickled(new Hashtable { [wrapper] = Sd("w") }, CheckpointEntry.Liff, "p");
            Assert.Equal(["w"], d.Keys);
        }
        using (var d = OfficialCheckpoint.FromUnpickled(Sd("plain"), CheckpointEntry.ResidualCodec, "p")) Assert.Equal(["plain"], d.Keys);

        var partial = new Hashtable { ["base_state_dict"] = Sd("base") };
        var ex = Assert.Throws<CompassFormatException>(() => OfficialCheckpoint.FromUnpickled(partial, CheckpointEntry.Liff, "c.pth"));
        Assert.Contains("conti_sr_state_dict", ex.Message);
        var bad = new Hashtable { ["x"] = "not a tensor" };
        Assert.Throws<CompassFormatException>(() => OfficialCheckpoint.FromUnpickled(bad, CheckpointEntry.BaseCodec, "p"));
    }

    [Fact]
    public void ANonCheckpointFileIsAFormatError()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8]);
            Assert.Throws<CompassFormatException>(() => OfficialCheckpoint.ReadStateDict(path, CheckpointEntry.BaseCodec));
            File.WriteAllBytes(path, [0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]);
            Assert.Throws<CompassFormatException>(() => OfficialCheckpoint.ReadStateDict(path, CheckpointEntry.BaseCodec));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public void OfficialMeanScaleFileLoadsWithAllKeysAccountedFor()
    {
        using var sd = OfficialCheckpoint.ReadStateDict(Fixtures.Path("meanscale/meanscale_state_dict.pt"), CheckpointEntry.BaseCodec);
        Assert.Equal(91, sd.Count); // manifest.json key count
        Assert.Equal((32, 48), OfficialCheckpoint.InferCodecSize(sd));
        Assert.Equal(new long[] { 64, 3133 }, sd["gaussian_conditional._quantized_cdf"].shape);
        using var codec = new MeanScaleHyperprior(32, 48);
        OfficialCheckpoint.CopyInto(codec, sd, sd.Source);
        Assert.Equal(0f, codec.EntropyBottleneck.Quantiles.sub(sd["entropy_bottleneck.quantiles"]).abs().max().item<float>());
        using var wrong = new MeanScaleHyperprior(16, 48);
        var ex = Assert.Throws<CompassFormatException>(() => OfficialCheckpoint.CopyInto(wrong, sd, sd.Source));
        Assert.Contains("shape mismatch for 'entropy_bottleneck.", ex.Message);
        Assert.Contains("N=16, M=48", ex.Message);
    }

    [SkippableFact]
    public void LiffStateDictIsReadWithItsOfficialKeys()
    {
        using var sd = OfficialCheckpoint.ReadLiffStateDict(Fixtures.Path("liff/liff_state_dict.pt"));
        Assert.Equal(new long[] { 256, 580 }, sd["imnet.0.weight"].shape);
        Assert.Equal(new long[] { 1728, 256 }, sd["imnet.8.weight"].shape);
        Assert.Equal(1_448_320, sd.Values.Sum(t => t.numel()));
    }
}
