using Compass.Testing;
using Compass.Training.Data;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Data;

public class ImageFolderDatasetTests
{
    [Fact]
    public void MissingFolderFailsAtOnceWithItsName()
    {
        var missing = Path.Combine(Path.GetTempPath(), "compass-no-such-folder-" + Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<DirectoryNotFoundException>(() => new ImageFolderDataset(missing, 32));
        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public void EmptyFolderFailsAtOnce()
    {
        using var folder = new TempDir();
        File.WriteAllText(folder.Combine("readme.txt"), "not an image");
        var ex = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(folder.Path, 32));
        Assert.Contains("no PNG or JPEG", ex.Message);
    }

    [Fact]
    public void CorruptFilesAreSkippedAndLogged()
    {
        using var folder = TestImages.Folder(3);
        File.WriteAllBytes(folder.Combine("broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);
        var good = File.ReadAllBytes(folder.Combine("a/img00.png"));
        File.WriteAllBytes(folder.Combine("a/truncated.png"), good.AsSpan(0, good.Length / 2).ToArray());
        File.WriteAllText(folder.Combine("b/fake.jpg"), "hello");
        var log = new ListLogger();

        var dataset = new ImageFolderDataset(folder.Path, 32, logger: log);

        Assert.Equal(6, dataset.Files.Count);
        Assert.Equal(3, dataset.Count);
        var warnings = log.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToArray();
        Assert.Contains(warnings, w => w.Contains("broken.png"));
        Assert.Contains(warnings, w => w.Contains("truncated.png"));
        Assert.Contains(warnings, w => w.Contains("fake.jpg"));
        using var crops = dataset.SampleCrops(seed: 1, step: 0, batchSize: 2);
        Assert.Equal(new long[] { 2, 3, 32, 32 }, crops.shape);
    }

    [Fact]
    public void AllFilesUnreadableFailsWithCounts()
    {
        using var folder = new TempDir();
        File.WriteAllText(folder.Combine("x.png"), "junk");
        var dataset = new ImageFolderDataset(folder.Path, 32);
        var ex = Assert.Throws<InvalidDataException>(() => dataset.Load());
        Assert.Contains("1 unreadable", ex.Message);
    }

    [Fact]
    public void SmallImagesAreSkippedOrUpscaled()
    {
        using var folder = TestImages.Folder(2, 40, 36);
        TestImages.Write(folder.Combine("small.png"), 20, 50, 9);
        Assert.Equal(2, new ImageFolderDataset(folder.Path, 32).Count);
        var upscaled = new ImageFolderDataset(folder.Path, 32, SmallImagePolicy.Upscale);
        Assert.Equal(3, upscaled.Count);
        using var crops = upscaled.SampleCrops(1, 0, 6);
        Assert.Equal(new long[] { 6, 3, 32, 32 }, crops.shape);
    }

    [Fact]
    public void CropsHaveTheRequestedShapeAndRange()
    {
        using var folder = TestImages.Folder(3);
        var dataset = new ImageFolderDataset(folder.Path, 24);
        using var crops = dataset.SampleCrops(seed: 7, step: 3, batchSize: 5);
        Assert.Equal(new long[] { 5, 3, 24, 24 }, crops.shape);
        Assert.Equal(ScalarType.Float32, crops.dtype);
        Assert.True(crops.min().item<float>() >= 0f);
        Assert.True(crops.max().item<float>() <= 1f);
    }

    [Fact]
    public void CropsArePixelExactAndFlipsAreHorizontalMirrors()
    {
        // Crop = whole image, so each sample is the image or its mirror; both must occur.
        using var folder = new TempDir();
        TestImages.Write(folder.Combine("only.png"), 20, 16, 0);
        var dataset = new ImageFolderDataset(folder.Path, 16);
        int plain = 0, mirrored = 0;
        for (int step = 0; step < 40; step++)
        {
            using var crop = dataset.SampleCrops(3, step, 1);
            var data = crop.data<float>().ToArray();
            // Row 0: red channel at (x, 0) for x = 0..15 is one of the 5 horizontal offsets, possibly mirrored.
            int left = -1;
            bool flipped = false;
            for (int offset = 0; offset <= 4 && left < 0; offset++)
            {
                if (Enumerable.Range(0, 16).All(x => Math.Abs(data[x] - TestImages.Pixel(offset + x, 0, 0).R / 255f) < 1e-6)) left = offset;
                else if (Enumerable.Range(0, 16).All(x => Math.Abs(data[x] - TestImages.Pixel(offset + 15 - x, 0, 0).R / 255f) < 1e-6)) { left = offset; flipped = true; }
            }
            Assert.True(left >= 0, $"step {step}: the crop is neither a window of the image nor its mirror");
            // Green depends on y only: row 5 of the green plane must be image row 5 everywhere (vertical position 0).
            Assert.Equal(TestImages.Pixel(0, 5, 0).G / 255f, data[256 + 5 * 16 + 3], 6);
            if (flipped) mirrored++; else plain++;
        }
        Assert.InRange(plain, 5, 35);
        Assert.InRange(mirrored, 5, 35);
    }

    [Fact]
    public void BatchesArePureFunctionsOfSeedAndStep()
    {
        using var folder = TestImages.Folder(5);
        var a = new ImageFolderDataset(folder.Path, 24);
        var b = new ImageFolderDataset(folder.Path, 24);
        // b visits other steps first: nothing it caches may change the batch of step 7.
        for (int s = 20; s > 0; s -= 3) b.SampleCrops(42, s, 3).Dispose();
        using var a7 = a.SampleCrops(42, 7, 3);
        using var b7 = b.SampleCrops(42, 7, 3);
        using var a8 = a.SampleCrops(42, 8, 3);
        using var other = a.SampleCrops(43, 7, 3);
        Assert.True(TensorAssert.Same(a7, b7));
        Assert.False(TensorAssert.Same(a7, a8));
        Assert.False(TensorAssert.Same(a7, other));
    }

    [Fact]
    public void EveryImageIsSeenOncePerEpoch()
    {
        const int n = 6;
        using var folder = TestImages.Folder(n, 24, 24);
        var dataset = new ImageFolderDataset(folder.Path, 24);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var seen = new HashSet<int>();
            for (int step = epoch * n / 2; step < (epoch + 1) * n / 2; step++)
            {
                using var crops = dataset.SampleCrops(5, step, 2);
                for (int i = 0; i < 2; i++)
                {
                    // Pixel (x=0,y=0) red = id*40 (unflipped) or (23*7 + id*40) mod 256 (flipped): identify the image.
                    float r = crops[i, 0, 0, 0].item<float>() * 255f;
                    int id = Enumerable.Range(0, n).Single(k => Math.Abs(r - (byte)(k * 40)) < 0.5 || Math.Abs(r - (byte)(23 * 7 + k * 40)) < 0.5);
                    Assert.True(seen.Add(id), $"image {id} seen twice in epoch {epoch}");
                }
            }
            Assert.Equal(n, seen.Count);
        }
    }
}
