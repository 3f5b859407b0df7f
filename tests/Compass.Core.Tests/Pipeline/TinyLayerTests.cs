using Compass.Imaging;
using Compass.Pipeline;

namespace Compass.Tests.Pipeline;

/// <summary><see cref="TinyLayer"/>: a layer under 16 px a side is coded padded by edge repetition and cropped back.</summary>
public class TinyLayerTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(15, 40)]
    public void PaddingRepeatsTheLastRowAndColumnAndCroppingUndoesIt(int width, int height)
    {
        var image = new PlanarImage(width, height);
        for (int i = 0; i < image.Data.Length; i++) image.Data[i] = i * 0.001f;
        var padded = TinyLayer.Pad(image);
        Assert.Equal((Math.Max(width, 16), Math.Max(height, 16)), (padded.Width, padded.Height));
        for (int c = 0; c < PlanarImage.Channels; c++)
            for (int y = 0; y < padded.Height; y++)
                for (int x = 0; x < padded.Width; x++)
                    Assert.Equal(image[c, Math.Min(y, height - 1), Math.Min(x, width - 1)], padded[c, y, x]);
        Assert.Equal(image.Data, TinyLayer.Crop(padded, width, height).Data);
    }

    [Fact]
    public void OnlySidesUnder16ArePadded()
    {
        Assert.True(TinyLayer.IsTiny(15, 40));
        Assert.True(TinyLayer.IsTiny(40, 1));
        Assert.False(TinyLayer.IsTiny(16, 16));
        Assert.Equal((16, 40), TinyLayer.CodedSize(15, 40));
    }
}
