using Compass.Training.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Codec;

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
    public void AFewOptimiserStepsReduceTheRdLossAndTheAuxLoss()
    {
        set_num_threads(1);
        manual_seed(5);
        using var codec = new MeanScaleHyperprior(8, 12);
        codec.train();
        using var main = optim.Adam(codec.MainParameters(), 1e-2);
        using var aux = optim.Adam(codec.AuxParameters(), 1e-1);
        using var x = rand(1, 3, 32, 32);
        double first = 0, last = 0, auxFirst = 0, auxLast = 0;
        for (int step = 0; step < 20; step++)
        {
            using var scope = NewDisposeScope();
            main.zero_grad();
            aux.zero_grad();
            using var r = codec.Forward(x, training: true);
            var bits = r.YLikelihoods.log().sum().add(r.ZLikelihoods.log().sum()).div(-Math.Log(2));
            var loss = bits.div(32 * 32).add(r.XHat.sub(x).square().mean().mul(0.01 * 255 * 255));
            loss.backward();
            main.step();
            var auxLoss = codec.AuxLoss();
            auxLoss.backward();
            aux.step();
            if (step == 0) (first, auxFirst) = (loss.item<float>(), auxLoss.item<float>());
            if (step >= 15) last += loss.item<float>() / 5; // mean of the last five steps: one noisy step is not a trend
            auxLast = auxLoss.item<float>();
        }
        Assert.True(last < 0.8 * first, $"RD loss {first} -> {last}");
        Assert.True(auxLast < auxFirst, $"aux loss {auxFirst} -> {auxLast}");
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
