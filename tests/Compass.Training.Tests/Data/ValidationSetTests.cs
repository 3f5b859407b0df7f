using Compass.Testing;
using Compass.Training.Data;

namespace Compass.Training.Tests.Data;


public class ValidationSetTests
{
    [Fact]
    public void TakesCentreCropsOfTheFirstImagesByName()
    {
        using var folder = new TempDir();
        for (int i = 0; i < 5; i++) TestImages.Write(folder.Combine($"k{i}.png"), 40, 36, i);
        var set = ValidationSet.Load(folder.Path, count: 2, cropSize: 32);
        Assert.Equal([folder.Combine("k0.png"), folder.Combine("k1.png")], set.Files);
        using var batch = set.CreateBatch(ScaleSampler.Compass(2));
        Assert.Equal([new LayerSize(8, 8), new LayerSize(16, 16), new LayerSize(32, 32)], batch.Sizes);
        // Top layer = the centre crop itself: (x, y) of the crop is image (x + 4, y + 2).
        Assert.Equal(TestImages.Pixel(4 + 3, 2 + 5, 1).R / 255f, batch.Top[1, 0, 5, 3].item<float>(), 6);
    }

    [Fact]
    public void TooFewImagesFailClearly()
    {
        using var folder = TestImages.Folder(1);
        var ex = Assert.Throws<InvalidDataException>(() => ValidationSet.Load(folder.Path, count: 4, cropSize: 32));
        Assert.Contains("4 are needed", ex.Message);
    }
}
