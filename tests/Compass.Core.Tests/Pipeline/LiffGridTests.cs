using Compass.Pipeline;

namespace Compass.Tests.Pipeline;

public class LiffGridTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(24, 32)]
    public void IdentitySizeMapsEachPixelToItselfWithZeroOffset(int h, int w)
    {
        var g = LiffGrid.Create(h, w, h, w);
        Assert.Equal(Enumerable.Range(0, h), g.RowIndex);
        Assert.Equal(Enumerable.Range(0, w), g.ColumnIndex);
        Assert.All(g.RowOffset, r => Assert.Equal(0f, r));
        Assert.All(g.ColumnOffset, r => Assert.Equal(0f, r));
        Assert.Equal(2f, g.ScaleY);
        Assert.Equal(2f, g.ScaleX);
    }

    [Fact]
    public void FourTimesUpscaleHasFourQueriesPerSourcePixelAtQuarterOffsets()
    {
        var g = LiffGrid.Create(5, 3, 20, 12);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i / 4), g.RowIndex);
        Assert.Equal(Enumerable.Range(0, 12).Select(j => j / 4), g.ColumnIndex);
        float[] expected = [-0.75f, -0.25f, 0.25f, 0.75f];
        for (int i = 0; i < 20; i++) Assert.Equal(expected[i % 4], g.RowOffset[i], 1e-6f);
        for (int j = 0; j < 12; j++) Assert.Equal(expected[j % 4], g.ColumnOffset[j], 1e-6f);
        Assert.Equal(0.5f, g.ScaleY);
        Assert.Equal(0.5f, g.ScaleX);
    }

    [Fact]
    public void SinglePixelSourceServesEveryTargetPixel()
    {
        var g = LiffGrid.Create(1, 1, 3, 4);
        Assert.All(g.RowIndex, i => Assert.Equal(0, i));
        Assert.All(g.ColumnIndex, i => Assert.Equal(0, i));
        // r = 2 * ((i + 0.5) / H - 0.5): the target centres relative to the one source centre.
        Assert.Equal([-2f / 3, 0f, 2f / 3], g.RowOffset.Select(v => MathF.Round(v, 5)).ToArray(), new ToleranceComparer(1e-5f));
        Assert.Equal([-0.75f, -0.25f, 0.25f, 0.75f], g.ColumnOffset, new ToleranceComparer(1e-6f));
        Assert.Equal(2f / 3, g.ScaleY, 1e-6f);
        Assert.Equal(0.5f, g.ScaleX);
    }

    [Fact]
    public void SinglePixelTargetPicksTheCentralSourcePixel()
    {
        // Odd source: the exact centre pixel. Even source: a tie between the two middle pixels -> even index.
        var g = LiffGrid.Create(5, 4, 1, 1);
        Assert.Equal(2, g.RowIndex[0]);
        Assert.Equal(2, g.ColumnIndex[0]);
        Assert.Equal(0f, g.RowOffset[0]);
        Assert.Equal(-1f, g.ColumnOffset[0], 1e-6f);
    }

    [Fact]
    public void ExactTieRoundsToTheEvenSourceIndex()
    {
        // h = 2, H = 3: the middle target centre (0.0) sits exactly on the border of source pixels 0 and 1.
        var g = LiffGrid.Create(2, 4, 3, 6);
        Assert.Equal([0, 0, 1], g.RowIndex);
        Assert.Equal(1f, g.RowOffset[1]);
        // w = 4, W = 6: centres at u = 1/6 * ... ; the middle borders fall at u = 0.5 and 2.5 -> 0 and 2.
        Assert.Equal([0, 0, 1, 2, 2, 3], g.ColumnIndex);
    }

    [Fact]
    public void OffsetsStayWithinUnitRangeForArbitraryScales()
    {
        for (int h = 1; h <= 17; h += 4)
            for (int target = 1; target <= 70; target += 3)
            {
                var g = LiffGrid.Create(h, h, target, target);
                for (int i = 0; i < target; i++)
                {
                    Assert.InRange(g.RowIndex[i], 0, h - 1);
                    Assert.InRange(g.RowOffset[i], -1f - 1e-5f, 1f + 1e-5f);
                    // Nearest: the exact-arithmetic distance to the chosen centre is at most half a source pixel.
                    double u = (i + 0.5) * h / target - 0.5;
                    Assert.True(Math.Abs(u - g.RowIndex[i]) <= 0.5 + 1e-5, $"h={h} H={target} i={i}");
                }
            }
    }

    [Fact]
    public void FlatArraysAreRowMajor()
    {
        var g = LiffGrid.Create(3, 4, 5, 7);
        var idx = g.FlatSourceIndex();
        var off = g.FlatOffsets();
        Assert.Equal(35, idx.Length);
        Assert.Equal(70, off.Length);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 7; j++)
            {
                int p = i * 7 + j;
                Assert.Equal(g.RowIndex[i] * 4 + g.ColumnIndex[j], idx[p]);
                Assert.Equal(g.RowOffset[i], off[2 * p]);
                Assert.Equal(g.ColumnOffset[j], off[2 * p + 1]);
            }
    }

    [Fact]
    public void ScaleTokenOverrideReproducesTheModelPyCell()
    {
        var g = LiffGrid.Create(64, 96, 128, 192);
        Assert.Equal(1f, g.ScaleY);
        var wrong = g.WithScaleTokenFromCell(64, 96);
        Assert.Equal(2f, wrong.ScaleY);
        Assert.Equal(2f, wrong.ScaleX);
        Assert.Same(g.RowIndex, wrong.RowIndex);
    }

    [Fact]
    public void RejectsEmptySizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LiffGrid.Create(0, 1, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiffGrid.Create(1, 1, 1, 0));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
