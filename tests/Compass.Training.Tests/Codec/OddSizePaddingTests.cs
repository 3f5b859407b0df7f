using Compass.Training.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Codec;

public sealed class OddSizePaddingTests
{
    [Fact]
    public void FlagsFor37x53MatchTheForkRun()
    {
        // manifest.json per_input a37x53: g_a (w,h) = (T,T) (T,T) (F,F) (T,T); h_a = (F,T) (F,F) (F,F).
        Assert.Equal(
            [new PadFlags(true, true), new PadFlags(true, true), new PadFlags(false, false), new PadFlags(true, true)],
            OddSizePadding.AnalysisFlags(37, 53));
        Assert.Equal((3, 4), OddSizePadding.LatentSize(37, 53));
        Assert.Equal(
            [new PadFlags(true, false), new PadFlags(false, false), new PadFlags(false, false)],
            OddSizePadding.HyperAnalysisFlags(3, 4));
        Assert.Equal((1, 1), OddSizePadding.HyperLatentSize(3, 4));
    }

    [Fact]
    public void FlagsFor64x96MatchTheForkRun()
    {
        Assert.All(OddSizePadding.AnalysisFlags(64, 96), f => Assert.Equal(new PadFlags(false, false), f));
        Assert.Equal((4, 6), OddSizePadding.LatentSize(64, 96));
        // h_a: w3 = true only (the 2x3 input of h_a.4).
        Assert.Equal(
            [new PadFlags(false, false), new PadFlags(false, false), new PadFlags(false, true)],
            OddSizePadding.HyperAnalysisFlags(4, 6));
        Assert.Equal((1, 2), OddSizePadding.HyperLatentSize(4, 6));
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(16, 16, 1, 1)]
    [InlineData(17, 33, 2, 3)]
    [InlineData(128, 192, 8, 12)]
    [InlineData(129, 191, 9, 12)]
    [InlineData(768, 512, 48, 32)]
    public void LatentSizeIsTheCeilChain(int h, int w, int yh, int yw)
    {
        Assert.Equal((yh, yw), OddSizePadding.LatentSize(h, w));
        int ch = h, cw = w;
        for (int i = 0; i < 4; i++) { ch = (int)Math.Ceiling(ch / 2.0); cw = (int)Math.Ceiling(cw / 2.0); }
        Assert.Equal((ch, cw), OddSizePadding.LatentSize(h, w));
    }

    [Fact]
    public void PadReplicatesTopRowAndLeftColumnAndCropUndoesIt()
    {
        using var scope = NewDisposeScope();
        var x = arange(6f).reshape(1, 1, 2, 3);
        var padded = OddSizePadding.Pad(x, new PadFlags(true, true));
        Assert.Equal(new long[] { 1, 1, 3, 4 }, padded.shape);
        Assert.Equal(new[] { 0f, 0f, 1f, 2f, 0f, 0f, 1f, 2f, 3f, 3f, 4f, 5f }, padded.data<float>().ToArray());
        var cropped = OddSizePadding.Crop(padded, new PadFlags(true, true));
        Assert.Equal(x.data<float>().ToArray(), cropped.contiguous().data<float>().ToArray());
    }
}

public sealed class MeanScaleHyperpriorTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 53)]
    [InlineData(19, 64)]
    [InlineData(64, 33)]
    [InlineData(70, 70)]
    public void PartsHaveTheDerivedShapesForAnySize(int h, int w)
    {
        set_num_threads(1);
        manual_seed(1);
        using var codec = new MeanScaleHyperprior(8, 12);
        codec.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = rand(2, 3, h, w);
        var y = codec.Analysis(x);
        var (yh, yw) = OddSizePadding.LatentSize(h, w);
        Assert.Equal(new long[] { 2, 12, yh, yw }, y.shape);
        var z = codec.HyperAnalysis(y);
        var (zh, zw) = OddSizePadding.HyperLatentSize(yh, yw);
        Assert.Equal(new long[] { 2, 8, zh, zw }, z.shape);
        var (scales, means) = codec.HyperSynthesis(z, yh, yw);
        Assert.Equal(y.shape, scales.shape);
        Assert.Equal(y.shape, means.shape);
        Assert.Equal(x.shape, codec.Synthesis(y, h, w).shape);
        using var r = codec.Forward(x, training: false);
        Assert.Equal(x.shape, r.XHat.shape);
        Assert.Equal(y.shape, r.YLikelihoods.shape);
        Assert.Equal(z.shape, r.ZLikelihoods.shape);
    }

    [Fact]
    public void SynthesisRejectsALatentThatDoesNotFitTheImageSize()
    {
        using var codec = new MeanScaleHyperprior(8, 12);
        using var y = zeros(1, 12, 3, 4);
        Assert.Throws<ArgumentException>(() => codec.Synthesis(y, 64, 64));
        Assert.Throws<ArgumentException>(() => codec.HyperSynthesis(zeros(1, 8, 1, 1), 5, 4));
    }

    [Fact]
    public void StateDictNamesMirrorTheOfficialKeys()
    {
        using var codec = new MeanScaleHyperprior(8, 12);
        var names = codec.named_parameters().Select(p => p.name).ToHashSet();
        foreach (var key in new[]
                 {
                     "g_a.0.weight", "g_a.1.beta", "g_a.1.gamma", "g_a.6.bias", "g_s.5.gamma", "g_s.6.weight",
                     "h_a.0.weight", "h_a.4.bias", "h_s.0.weight", "h_s.2.bias", "h_s.4.weight",
                     "entropy_bottleneck._matrix0", "entropy_bottleneck._bias4", "entropy_bottleneck._factor3",
                     "entropy_bottleneck.quantiles",
                 })
            Assert.Contains(key, names);
        Assert.DoesNotContain("entropy_bottleneck._factor4", names);
        Assert.Equal(["entropy_bottleneck.quantiles"], codec.named_parameters().Where(p => codec.AuxParameters().Contains(p.parameter)).Select(p => p.name).ToArray());
    }

    [Fact]
    public void TrainingForwardFeedsTheQuantisedLatentAndGradientReachesEveryParameter()
    {
        set_num_threads(1);
        manual_seed(3);
        using var codec = new MeanScaleHyperprior(8, 12);
        codec.train();
        using var scope = NewDisposeScope();
        var x = rand(2, 3, 37, 29);
        using var r = codec.Forward(x, training: true);

        // The synthesis input is exactly mu + round(y - mu) (what the decoder sees).
        using (no_grad())
        {
            var expected = codec.Synthesis(GaussianConditional.Dequantize(r.Y, r.Means), 37, 29);
            Assert.Equal(0.0, expected.sub(r.XHat).abs().max().item<float>(), 6);
            // Training likelihoods are measured on y + noise, which is not the rounded value.
            Assert.True(r.YTilde.sub(r.Y).abs().max().item<float>() > 0);
            Assert.True(r.YTilde.sub(r.Y).abs().max().item<float>() <= 0.5f);
        }

        var bits = r.YLikelihoods.log().sum().add(r.ZLikelihoods.log().sum()).div(-Math.Log(2));
        var loss = bits.div(2 * 37 * 29).add(r.XHat.sub(x).square().mean().mul(0.01 * 255 * 255)).add(codec.AuxLoss());
        loss.backward();
        foreach (var (name, p) in codec.named_parameters())
        {
            Assert.True(p.grad is not null, $"{name} has no gradient");
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"{name} has a zero gradient");
        }
    }

    [Fact]
    public void RoundedLatentOptionFeedsRoundY()
    {
        manual_seed(4);
        using var codec = new MeanScaleHyperprior(8, 12);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = rand(1, 3, 20, 24);
        using var r = codec.Forward(x, training: false, SynthesisInput.RoundedLatent);
        var expected = codec.Synthesis(r.Y.round(), 20, 24);
        Assert.Equal(0.0, expected.sub(r.XHat).abs().max().item<float>(), 6);
    }

    [Fact]
    public void EntropyBottleneckInitialisationMatchesCompressAi()
    {
        using var eb = new EntropyBottleneck(2);
        var names = eb.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(15, names.Length); // 5 matrices, 5 biases, 4 factors, quantiles
        Assert.Equal(new[] { -10f, 0f, 10f, -10f, 0f, 10f }, eb.Quantiles.data<float>().ToArray());
        double scale = Math.Pow(10, 1.0 / 5);
        var m0 = eb.named_parameters().First(p => p.name == "_matrix0").parameter;
        Assert.Equal((float)Math.Log(Math.Exp(1 / scale / 3) - 1), m0.data<float>()[0], 6);
        Assert.Equal(new long[] { 2, 3, 1 }, m0.shape);
        Assert.Equal(21.416413f, eb.Target[2], 4);
    }

    [Fact]
    public void EntropyBottleneckPmfsSumToAboutOneWithTheTail()
    {
        using var eb = new EntropyBottleneck(3);
        var pmfs = eb.ChannelPmfs();
        Assert.Equal(3, pmfs.Count);
        foreach (var p in pmfs)
        {
            Assert.Equal(21, p.Pmf.Length); // quantiles -10 .. 10 around median 0
            Assert.Equal(-10, p.Offset);
            Assert.Equal(23, p.CdfLength);
            Assert.InRange(p.Pmf.Sum() + p.TailMass, 0.99, 1.01);
        }
    }
}
