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
