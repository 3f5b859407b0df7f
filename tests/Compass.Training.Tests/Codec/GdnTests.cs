using Compass.Training.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Codec;

public sealed class GdnTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForwardMatchesTheDirectFormula(bool inverse)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        const int c = 4;
        using var gdn = new Gdn(c, inverse);
        using (no_grad())
        {
            gdn.StoredBeta.copy_(rand(c).add(0.5));
            gdn.StoredGamma.copy_(rand(c, c).mul(0.5));
            gdn.StoredGamma[1, 2] = tensor(1e-7f); // below the bound: the effective value uses the bound
            gdn.StoredBeta[3] = tensor(0f);
        }
        var x = randn(2, c, 3, 5);
        var output = gdn.call(x);

        var xs = x.data<float>().ToArray();
        var beta = gdn.StoredBeta.data<float>().ToArray().Select(b => Eff(b, Gdn.BetaBound)).ToArray();
        var gamma = gdn.StoredGamma.data<float>().ToArray().Select(g => Eff(g, Gdn.GammaBound)).ToArray();
        var outs = output.data<float>().ToArray();
        const int hw = 15;
        double worst = 0;
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < c; i++)
                for (int p = 0; p < hw; p++)
                {
                    double norm = beta[i];
                    for (int j = 0; j < c; j++)
                    {
                        double xj = xs[(b * c + j) * hw + p];
                        norm += gamma[i * c + j] * xj * xj;
                    }
                    double xi = xs[(b * c + i) * hw + p];
                    double expected = inverse ? xi * Math.Sqrt(norm) : xi / Math.Sqrt(norm);
                    worst = Math.Max(worst, Math.Abs(expected - outs[(b * c + i) * hw + p]));
                }
        Assert.True(worst < 1e-5, $"max error {worst}");
    }

    [Fact]
    public void InitialisationIsIdentityGammaTimesPointOneAndUnitBeta()
    {
        using var gdn = new Gdn(3);
        using var beta = gdn.EffectiveBeta();
        using var gamma = gdn.EffectiveGamma();
        Assert.All(beta.data<float>().ToArray(), b => Assert.Equal(1f, b, 6));
        var g = gamma.data<float>().ToArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(i == j ? 0.1f : 0f, g[i * 3 + j], 6);
        Assert.Equal(["beta", "gamma"], gdn.named_parameters().Select(p => p.name).ToArray());
    }

    private static double Eff(float stored, float bound) => Math.Pow(Math.Max(stored, bound), 2) - Gdn.Pedestal;
}

public sealed class LowerBoundTests
{
    [Fact]
    public void ForwardIsMaxWithTheBound()
    {
        using var x = tensor(new[] { -1f, 0.5f, 1f, 3f });
        using var y = LowerBound.Apply(x, 1f);
        Assert.Equal(new[] { 1f, 1f, 1f, 3f }, y.data<float>().ToArray());
    }

    [Fact]
    public void GradientFlowsWhenItPushesUpAndNotWhenItPushesDownBelowTheBound()
    {
        // x: below, above, below, above the bound 1. Loss weights give grad_output = w.
        using var x = tensor(new[] { 0.5f, 2f, 0.5f, 2f }).requires_grad_();
        using var w = tensor(new[] { 1f, 1f, -1f, -1f });
        using var y = LowerBound.Apply(x, 1f);
        using var loss = y.mul(w).sum();
        loss.backward();
        var g = x.grad!.data<float>().ToArray();
        Assert.Equal(0f, g[0]);  // below, descent would push further down: blocked (as a clamp)
        Assert.Equal(1f, g[1]);  // above: identity
        Assert.Equal(-1f, g[2]); // below, descent pushes up: passes (unlike a clamp)
        Assert.Equal(-1f, g[3]);
    }

    [Fact]
    public void WorksInsideDisposeScopesRepeatedly()
    {
        using var p = tensor(new[] { 0.1f, 0.2f }).requires_grad_();
        for (int i = 0; i < 50; i++)
        {
            using var scope = NewDisposeScope();
            var loss = LowerBound.Apply(p, 0.15f).square().sum();
            loss.backward();
        }
        Assert.NotNull(p.grad);
    }
}
