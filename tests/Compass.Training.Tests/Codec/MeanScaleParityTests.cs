using Compass.Testing;
using Compass.Training.Import;
using Compass.Training.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Codec;

/// <summary>
/// The official fork's MeanScaleHyperprior (N=32, M=48), run on its fixtures: every intermediate of
/// eval and training mode, the aux loss and the entropy-bottleneck tables.
/// </summary>
public sealed class MeanScaleParityTests(ITestOutputHelper log)
{
    private static MeanScaleHyperprior LoadCodec()
    {
        set_num_threads(1);
        var codec = OfficialCheckpoint.LoadCodec(Fixtures.Path("meanscale/meanscale_state_dict.pt"));
        codec.eval();
        return codec;
    }

    [SkippableTheory]
    [InlineData("a37x53")]
    [InlineData("b64x96")]
    public void EvalPathMatchesFork(string input)
    {
        using var codec = LoadCodec();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        string F(string name) => $"meanscale/{input}_{name}.npy";
        var x = Fixtures.LoadFloat(F("input"));
        int h = (int)x.shape[2], w = (int)x.shape[3];

        var y = codec.Analysis(x);
        Fixtures.AssertClose(log, F("y"), y);
        var z = codec.HyperAnalysis(y);
        Fixtures.AssertClose(log, F("z"), z);

        var (zHat, zLik) = codec.EntropyBottleneck.Forward(z, training: false);
        Fixtures.AssertClose(log, F("z_hat"), zHat);
        Fixtures.AssertClose(log, F("z_likelihoods_eval"), zLik);
        Fixtures.AssertExact(log, F("z_symbols"), codec.EntropyBottleneck.Symbols(z));

        var (scales, means) = codec.HyperSynthesis(zHat, (int)y.shape[2], (int)y.shape[3]);
        Fixtures.AssertClose(log, F("hyper_out"), cat([scales, means], 1));
        Fixtures.AssertClose(log, F("scales"), scales);
        Fixtures.AssertClose(log, F("means"), means);

        Fixtures.AssertExact(log, F("y_symbols"), GaussianConditional.Symbols(y, means));
        Fixtures.AssertExact(log, F("y_indexes"), GaussianConditional.BuildIndexes(scales, GaussianConditional.DefaultScaleTable()));

        var (yHat, yLik) = GaussianConditional.Forward(y, scales, means, training: false);
        Fixtures.AssertClose(log, F("y_hat"), yHat);
        Fixtures.AssertClose(log, F("y_likelihoods_eval"), yLik);
        Fixtures.AssertClose(log, F("x_hat_dec"), codec.Synthesis(yHat, h, w));

        using var fork = codec.Forward(x, training: false, SynthesisInput.RoundedLatent);
        Fixtures.AssertClose(log, F("x_hat_forward"), fork.XHat);
        Fixtures.AssertClose(log, F("y_likelihoods_eval"), fork.YLikelihoods);
        Fixtures.AssertClose(log, F("z_likelihoods_eval"), fork.ZLikelihoods);

        // Ours: in eval mode the synthesis sees exactly the decoder's y_hat.
        using var ours = codec.Forward(x, training: false);
        Fixtures.AssertClose(log, F("x_hat_dec"), ours.XHat);
    }

    [SkippableTheory]
    [InlineData("a37x53")]
    [InlineData("b64x96")]
    public void TrainingPathMatchesForkWithInjectedNoise(string input)
    {
        using var codec = LoadCodec();
        codec.train();
        using var scope = NewDisposeScope();
        string F(string name) => $"meanscale/{input}_{name}.npy";
        var x = Fixtures.LoadFloat(F("input"));
        var noiseY = Fixtures.LoadFloat(F("noise_y"));
        var noiseZ = Fixtures.LoadFloat(F("noise_z"));

        using var r = codec.Forward(x, training: true, SynthesisInput.RoundedLatent, noiseY, noiseZ);
        Fixtures.AssertClose(log, F("y_tilde_train"), r.YTilde);
        Fixtures.AssertClose(log, F("y_likelihoods_train"), r.YLikelihoods);
        Fixtures.AssertClose(log, F("z_likelihoods_train"), r.ZLikelihoods);
        Fixtures.AssertClose(log, F("x_hat_forward"), r.XHat);
    }

    [SkippableFact]
    public void AuxLossMatchesFork()
    {
        using var codec = LoadCodec();
        using var loss = codec.AuxLoss();
        var expected = Npy.Load(Fixtures.Path("meanscale/eb_aux_loss.npy")).Data[0];
        double err = Math.Abs(loss.item<float>() - expected);
        log.WriteLine($"aux loss {loss.item<float>():R} vs {expected:R}: abs err {err:E2}");
        Assert.True(err <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"aux loss error {err}");
    }

    [SkippableFact]
    public void QuantilesAndMediansMatchFork()
    {
        using var codec = LoadCodec();
        Fixtures.AssertClose(log, "meanscale/eb_quantiles.npy", codec.EntropyBottleneck.Quantiles, 0);
        using var medians = codec.EntropyBottleneck.Medians();
        Fixtures.AssertClose(log, "meanscale/eb_medians.npy", medians, 0);
    }

    [SkippableFact]
    public void EntropyBottleneckPmfsGiveTheForkTables()
    {
        using var codec = LoadCodec();
        var pmfs = codec.EntropyBottleneck.ChannelPmfs();
        var offset = Npy.Load(Fixtures.Path("meanscale/eb_offset.npy")).AsLong();
        var cdfLength = Npy.Load(Fixtures.Path("meanscale/eb_cdf_length.npy")).AsLong();
        var cdf = Npy.Load(Fixtures.Path("meanscale/eb_quantized_cdf.npy"));
        int width = cdf.Shape[1];
        Assert.Equal(offset.Length, pmfs.Count);
        int mismatches = 0;
        for (int c = 0; c < pmfs.Count; c++)
        {
            Assert.Equal(offset[c], pmfs[c].Offset);
            Assert.Equal(cdfLength[c], pmfs[c].CdfLength);
            var ours = TemporaryCdfOracle.PmfToQuantizedCdf([.. pmfs[c].Pmf, pmfs[c].TailMass], 16);
            for (int i = 0; i < width; i++)
            {
                long expected = (long)cdf.Data[c * width + i];
                long actual = i < ours.Length ? ours[i] : 0;
                if (expected != actual) mismatches++;
            }
        }
        log.WriteLine($"eb_quantized_cdf: {mismatches} mismatching entries of {cdf.Length}");
        Assert.Equal(0, mismatches);
    }

    [SkippableFact]
    public void DefaultScaleTableMatchesForkToAFewUlps()
    {
        // float32 exp differs by an ulp between libm builds, so the table agrees relatively, not bit for bit:
        // the coder must ship its table as constants (Compass.Core), not recompute it.
        var expected = Npy.Load(Fixtures.Path("meanscale/gc_scale_table.npy")).AsFloat();
        var ours = GaussianConditional.DefaultScaleTable();
        Assert.Equal(expected.Length, ours.Length);
        double worst = 0;
        int differ = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            double rel = Math.Abs(ours[i] - expected[i]) / expected[i];
            worst = Math.Max(worst, rel);
            if (ours[i] != expected[i]) differ++;
        }
        log.WriteLine($"scale table: {differ} of {ours.Length} entries differ, max relative error {worst:E2}");
        Assert.True(worst <= 5e-7, $"scale table relative error {worst:E2}");
    }
}

/// <summary>
/// TEMPORARY ORACLE, test-only: a local re-implementation of CompressAI's C++ <c>pmf_to_quantized_cdf</c>
/// (16-bit, with frequency stealing) to check our pmfs against <c>eb_quantized_cdf.npy</c> until the
/// table builder of Compass.Core (branch <c>entropy</c>) is merged; then use that one and delete this.
/// </summary>
internal static class TemporaryCdfOracle
{
    public static int[] PmfToQuantizedCdf(float[] pmf, int precision)
    {
        var cdf = new uint[pmf.Length + 1];
        for (int i = 0; i < pmf.Length; i++)
            cdf[i + 1] = (uint)MathF.Round(pmf[i] * (1 << precision), MidpointRounding.AwayFromZero);
        uint total = 0;
        foreach (var v in cdf) total += v;
        for (int i = 0; i < cdf.Length; i++) cdf[i] = (uint)(((ulong)(1u << precision) * cdf[i]) / total);
        for (int i = 1; i < cdf.Length; i++) cdf[i] += cdf[i - 1];
        cdf[^1] = 1u << precision;
        for (int i = 0; i < cdf.Length - 1; i++)
        {
            if (cdf[i] != cdf[i + 1]) continue;
            uint bestFreq = uint.MaxValue;
            int bestSteal = -1;
            for (int j = 0; j < cdf.Length - 1; j++)
            {
                uint freq = cdf[j + 1] - cdf[j];
                if (freq > 1 && freq < bestFreq) { bestFreq = freq; bestSteal = j; }
            }
            if (bestSteal < i) for (int j = bestSteal + 1; j <= i; j++) cdf[j]--;
            else for (int j = i + 1; j <= bestSteal; j++) cdf[j]++;
        }
        return Array.ConvertAll(cdf, v => (int)v);
    }
}
