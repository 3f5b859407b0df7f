using CsCheck;

namespace Compass.Tests.LayerPlans;

public class LayerPlanFactoryTests
{
    [Fact]
    public void FromScalesGivesThePapersKodakSizes()
    {
        var plan = LayerPlan.FromScales(768, 512, 0.25, 0.5, 1.0);
        Assert.Equal("192x128,384x256,768x512", plan.ToString());
        Assert.Equal(new LayerSize(192, 128), plan.Base);
        Assert.Equal(new LayerSize(768, 512), plan.Final);
        Assert.Equal(3, plan.Count);
        Assert.Equal((2.0, 2.0), plan.Ratio(1));
    }

    [Fact]
    public void FromScalesFloorsOddSizes()
    {
        // 517*0.25 = 129.25, 389*0.25 = 97.25, 517*0.5 = 258.5, 389*0.5 = 194.5
        var plan = LayerPlan.FromScales(517, 389, 0.25, 0.5, 1.0);
        Assert.Equal("129x97,258x194,517x389", plan.ToString());
    }

    [Fact]
    public void FromScalesToleratesProductsJustBelowAnInteger()
    {
        Assert.Equal(28.999999999999996, 100 * 0.29); // the float error the epsilon is for
        var plan = LayerPlan.FromScales(100, 100, 0.29, 1.0);
        Assert.Equal(new LayerSize(29, 29), plan.Base);
        // 0.1 + 0.2 = 0.30000000000000004: a hair above, floors as intended too.
        Assert.Equal(new LayerSize(30, 30), LayerPlan.FromScales(100, 100, 0.1 + 0.2, 1.0).Base);
    }

    [Fact]
    public void FromScalesMatchesFloorOnThePapersEvaluationScales()
    {
        // Two-layer Kodak plans of section 6: BL 0.25, final EL 0.30 ... 0.70.
        foreach (double s in new[] { 0.3, 0.4, 0.5, 0.6, 0.7 })
        {
            var plan = LayerPlan.FromScales(768, 512, 0.25, s);
            Assert.Equal((int)Math.Floor((decimal)768 * (decimal)s), plan.Final.Width);
            Assert.Equal((int)Math.Floor((decimal)512 * (decimal)s), plan.Final.Height);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void FromScalesRejectsScalesOutsideZeroToOne(double bad)
    {
        var ex = Assert.Throws<ArgumentException>(() => LayerPlan.FromScales(768, 512, 0.5, bad));
        Assert.Contains("Layer 1", ex.Message);
        Assert.Contains(bad.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
    }

    [Fact]
    public void FromScalesRejectsANonPositiveImage()
    {
        var ex = Assert.Throws<ArgumentException>(() => LayerPlan.FromScales(0, 512, 1.0));
        Assert.Contains("0x512", ex.Message);
    }

    [Fact]
    public void FromSizesKeepsTheSizes()
    {
        var plan = LayerPlan.FromSizes(new LayerSize(24, 32), new LayerSize(29, 38), new LayerSize(48, 64));
        Assert.Equal([new(24, 32), new(29, 38), new(48, 64)], plan.Layers.ToArray());
        Assert.Equal((24 * 32) + (29 * 38) + (48 * 64), plan.TotalPixels);
    }

    [Fact]
    public void FromSizesCopiesTheCallersArray()
    {
        var sizes = new[] { new LayerSize(16, 16), new LayerSize(32, 32) };
        var plan = LayerPlan.FromSizes(sizes);
        sizes[1] = new LayerSize(20, 20);
        Assert.Equal(new LayerSize(32, 32), plan.Final);
    }
}

public class LayerPlanValidationTests
{
    private static string Fails(params LayerSize[] sizes) => Assert.Throws<ArgumentException>(() => LayerPlan.FromSizes(sizes)).Message;

    [Fact]
    public void NeedsAtLeastOneLayer() => Assert.Contains("at least 1 layer", Fails());

    [Fact]
    public void HoldsAtMostEightLayers()
    {
        var sizes = Enumerable.Range(0, 9).Select(i => new LayerSize(16 + i, 16 + i)).ToArray();
        Assert.Contains("got 9", Fails(sizes));
        Assert.Equal(8, LayerPlan.FromSizes(sizes[..8]).Count);
    }

    [Fact]
    public void RejectsSidesBelowSixteen()
    {
        string message = Fails(new(16, 16), new(40, 15));
        Assert.Contains("Layer 1", message);
        Assert.Contains("40x15", message);
        Assert.Equal(16, LayerPlan.FromSizes(new LayerSize(16, 16)).Base.Width);
    }

    [Fact]
    public void ASingleLayerMayBeUnderSixteenButNotEmpty()
    {
        Assert.Equal(new LayerSize(1, 1), LayerPlan.FromSizes(new LayerSize(1, 1)).Base);
        Assert.Equal(new LayerSize(7, 5), LayerPlan.Parse("7x5").Base);
        Assert.Contains("at least 1 px", Fails(new LayerSize(0, 5)));
        Assert.Contains("in a plan of several layers", Fails(new(8, 8), new(16, 16)));
    }

    [Fact]
    public void RejectsSidesAboveTheFormatsMaximum()
    {
        var limits = new LayerPlanLimits { MaxTotalPixels = long.MaxValue };
        var ex = Assert.Throws<ArgumentException>(() => LayerPlan.FromSizes(limits, new LayerSize(65536, 20000)));
        Assert.Contains("65536x20000", ex.Message);
        Assert.Contains("Layer 0", ex.Message);
        Assert.Equal(65535, LayerPlan.FromSizes(limits, new LayerSize(65535, 16)).Base.Width);
    }

    [Fact]
    public void RejectsAShrinkingDimension()
    {
        string message = Fails(new(64, 64), new(100, 128), new(99, 256));
        Assert.Contains("Layer 2 (99x256)", message);
        Assert.Contains("layer 1 (100x128)", message);
        Assert.Contains("shrink", message);
    }

    [Fact]
    public void RejectsALayerThatDoesNotGrow()
    {
        string message = Fails(new(64, 64), new(64, 64));
        Assert.Contains("Layer 1 (64x64)", message);
        // Equal in one dimension is fine (docs/method.md#layer-plans).
        Assert.Equal(2, LayerPlan.FromSizes(new LayerSize(64, 64), new LayerSize(64, 100)).Count);
    }

    [Fact]
    public void RejectsARatioAboveFour()
    {
        string message = Fails(new(16, 16), new(64, 65));
        Assert.Contains("Layer 1 (64x65)", message);
        Assert.Contains("4.0625x in height", message); // 65/16
        Assert.Contains("4x", message);
        // Exactly 4x is allowed.
        Assert.Equal((4.0, 4.0), LayerPlan.FromSizes(new LayerSize(16, 16), new LayerSize(64, 64)).Ratio(1));
    }

    [Fact]
    public void RejectsTooManyPixelsUnderConfigurableLimits()
    {
        var limits = new LayerPlanLimits { MaxTotalPixels = 1000 };
        var ex = Assert.Throws<ArgumentException>(() => LayerPlan.FromSizes(limits, new LayerSize(16, 16), new LayerSize(32, 24)));
        Assert.Contains("1024 pixels", ex.Message); // 256 + 768
        Assert.Contains("1000", ex.Message);
        Assert.Contains("layer 1", ex.Message);
        Assert.Equal(1024, LayerPlan.FromSizes(new LayerPlanLimits { MaxTotalPixels = 1024 }, new LayerSize(16, 16), new LayerSize(32, 24)).TotalPixels);
    }

    [Fact]
    public void DefaultLimitAllowsASixByFourThousandPhoto()
    {
        var plan = LayerPlan.FromScales(6000, 4000, 0.25, 0.5, 1.0);
        Assert.Equal("1500x1000,3000x2000,6000x4000", plan.ToString());
        Assert.Throws<ArgumentException>(() => LayerPlan.FromSizes(new LayerSize(16000, 16000), new LayerSize(17000, 17000)));
    }

    [Fact]
    public void MaxLayersCanBeTightened()
    {
        var limits = new LayerPlanLimits { MaxLayers = 2 };
        var ex = Assert.Throws<ArgumentException>(() => LayerPlan.FromScales(limits, 768, 512, 0.25, 0.5, 1.0));
        Assert.Contains("at most 2 layers, got 3", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LayerPlanLimits { MaxLayers = 9 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LayerPlanLimits { MaxTotalPixels = 0 });
    }
}

public class LayerPlanTextTests
{
    [Theory]
    [InlineData("192x128,384x256,768x512")]
    [InlineData("192x128, 384x256, 768x512")]
    [InlineData(" 192X128 ,384x256,768x512 ")]
    public void ParsesTheTextForm(string text) =>
        Assert.Equal(LayerPlan.FromScales(768, 512, 0.25, 0.5, 1.0), LayerPlan.Parse(text));

    [Theory]
    [InlineData("192x128,abc", "'abc'")]
    [InlineData("192x128,384x", "'384x'")]
    [InlineData("192x128,,768x512", "''")]
    [InlineData("192x128,", "''")]
    [InlineData("+192x128", "'+192x128'")]
    [InlineData("192x-128", "'192x-128'")]
    [InlineData("192x128x2", "'192x128x2'")]
    [InlineData("99999999999x16", "'99999999999x16'")]
    [InlineData("", "''")]
    public void RejectsGarbageNamingTheBadItem(string text, string quoted)
    {
        var ex = Assert.Throws<FormatException>(() => LayerPlan.Parse(text));
        Assert.Contains(quoted, ex.Message);
        Assert.False(LayerPlan.TryParse(text, out var plan));
        Assert.Equal(default, plan);
    }

    [Fact]
    public void RejectsInvalidPlansWithFormatException()
    {
        var ex = Assert.Throws<FormatException>(() => LayerPlan.Parse("16x16,80x16"));
        Assert.Contains("80x16", ex.Message);
        Assert.Throws<FormatException>(() => LayerPlan.Parse(string.Join(',', Enumerable.Range(16, 9).Select(i => $"{i}x{i}"))));
        Assert.False(LayerPlan.TryParse(null, out _));
    }

    [Fact]
    public void TextRoundTripsForRandomValidPlans()
    {
        ValidPlans.Sample(plan =>
        {
            string text = plan.ToString();
            Assert.True(LayerPlan.TryParse(text, out var parsed));
            Assert.Equal(plan, parsed);
            Assert.Equal(plan.GetHashCode(), parsed.GetHashCode());
            Assert.Equal(text, parsed.ToString());
        }, iter: 500);
    }

    /// <summary>Random valid plans: a base of 16..300 px and up to 7 growth steps of 1x..4x.</summary>
    internal static readonly Gen<LayerPlan> ValidPlans =
        Gen.Select(Gen.Int[16, 300], Gen.Int[16, 300], Gen.Select(Gen.Int[0, 300], Gen.Int[0, 300]).Array[0, 7])
            .Select((w, h, steps) =>
            {
                var sizes = new List<LayerSize> { new(w, h) };
                foreach (var (dw, dh) in steps)
                {
                    var prev = sizes[^1];
                    // Grow by 1..4x: (dw/300) of the way from +0 to +3*prev; at least one side must grow.
                    int nw = prev.Width + (int)((long)dw * 3 * prev.Width / 300);
                    int nh = prev.Height + (int)((long)dh * 3 * prev.Height / 300);
                    if (nw == prev.Width && nh == prev.Height) nw++;
                    if (nw > 4 * prev.Width || nw > LayerPlan.MaxSide || nh > LayerPlan.MaxSide || (long)nw * nh > 20_000_000) break;
                    sizes.Add(new(nw, nh));
                }
                return LayerPlan.FromSizes(sizes.ToArray());
            });
}

public class LayerPlanEqualityTests
{
    [Fact]
    public void EqualPlansAreEqual()
    {
        var a = LayerPlan.Parse("192x128,384x256");
        var b = LayerPlan.FromSizes(new LayerSize(192, 128), new LayerSize(384, 256));
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.True(a.Equals((object)b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void DifferentPlansDiffer()
    {
        var a = LayerPlan.Parse("192x128,384x256");
        Assert.NotEqual(a, LayerPlan.Parse("192x128,384x257"));
        Assert.NotEqual(a, LayerPlan.Parse("192x128"));
        Assert.NotEqual(a, LayerPlan.Parse("192x128,384x256,768x512"));
        Assert.False(a.Equals("192x128,384x256"));
    }

    [Fact]
    public void DefaultIsTheEmptyPlan()
    {
        LayerPlan empty = default;
        Assert.Equal(0, empty.Count);
        Assert.Empty(empty.Layers);
        Assert.Equal(0, empty.TotalPixels);
        Assert.Equal("", empty.ToString());
        Assert.Equal(default(LayerPlan), empty);
        Assert.NotEqual(LayerPlan.Parse("16x16"), empty);
        Assert.Equal(default(LayerPlan).GetHashCode(), empty.GetHashCode());
        Assert.Throws<InvalidOperationException>(() => empty.Base);
        Assert.Throws<InvalidOperationException>(() => empty.Final);
        Assert.Throws<ArgumentOutOfRangeException>(() => empty.Ratio(1));
    }

    [Fact]
    public void RatioIsPerDimension()
    {
        var plan = LayerPlan.Parse("100x50,150x50,600x175");
        Assert.Equal((1.5, 1.0), plan.Ratio(1));
        Assert.Equal((4.0, 3.5), plan.Ratio(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.Ratio(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.Ratio(3));
        Assert.Equal(new LayerSize(150, 50), plan[1]);
    }
}
