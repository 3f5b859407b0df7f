using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using Compass.Bundles;
using Compass.Testing;

namespace Compass.Tests.Bundles;

public class ModelBundleTests
{
    private static readonly Dictionary<string, byte[]> Files = new()
    {
        ["bl/tiny.onnx"] = BundleTestFiles.TinyOnnx,
        ["tables/z_cdf.bin"] = [1, 2, 3, 4, 5],
    };

    private static ModelBundleManifest Manifest(string name = "synthetic") =>
        ModelBundleWriter.CreateManifest(name, "tiny", [3], [0.0067], Files,
            JsonDocument.Parse("""{"steps": 10, "kodak": [{"bpp": 0.5, "psnr": 28.1}]}""").RootElement);

    private static string WriteFolder(TempDir dir)
    {
        var folder = dir.Combine("bundle");
        ModelBundleWriter.WriteFolder(folder, Manifest(), Files);
        return folder;
    }

    [Fact]
    public void Folder_RoundTrips_AndIdentityIsTheManifestHash()
    {
        using var dir = new TempDir();
        var folder = WriteFolder(dir);

        var bundle = ModelBundle.Load(folder);

        Assert.Equal("synthetic", bundle.Manifest.Name);
        Assert.Equal("tiny", bundle.Manifest.Preset);
        Assert.Equal([3], bundle.Manifest.Qualities);
        Assert.Equal([0.0067], bundle.Manifest.Lambdas);
        Assert.Equal(10, bundle.Manifest.Card!.Value.GetProperty("steps").GetInt32());
        Assert.Equal(["bl/tiny.onnx", "tables/z_cdf.bin"], bundle.FileNames);
        Assert.Equal(Files["tables/z_cdf.bin"], bundle.GetBytes("tables/z_cdf.bin").ToArray());
        using (var s = bundle.OpenRead("bl/tiny.onnx"))
        {
            Assert.Equal(BundleTestFiles.TinyOnnx.Length, s.Length);
            Assert.False(s.CanWrite);
        }

        var manifestBytes = File.ReadAllBytes(Path.Combine(folder, "manifest.json"));
        Assert.Equal(SHA256.HashData(manifestBytes), bundle.Identity.ToArray());
        Assert.Equal(64, bundle.IdentityHex.Length);
        Assert.Throws<KeyNotFoundException>(() => bundle.GetBytes("nope.onnx"));
    }

    [Fact]
    public void ZipFile_ZipStream_AndZipOfTheFolderItself_LoadTheSameBundle()
    {
        using var dir = new TempDir();
        var folder = WriteFolder(dir);
        var identity = ModelBundle.Load(folder).IdentityHex;

        var zipPath = dir.Combine("bundle.zip");
        using (var zip = File.Create(zipPath))
        {
            ModelBundleWriter.WriteZip(zip, Manifest(), Files);
        }

        Assert.Equal(identity, ModelBundle.Load(zipPath).IdentityHex);
        using (var stream = new MemoryStream(File.ReadAllBytes(zipPath)))
        {
            Assert.Equal(identity, ModelBundle.Load(stream).IdentityHex);
        }

        var nestedZip = dir.Combine("nested.zip");
        ZipFile.CreateFromDirectory(folder, nestedZip, CompressionLevel.Fastest, includeBaseDirectory: true);
        var nested = ModelBundle.Load(nestedZip);
        Assert.Equal(identity, nested.IdentityHex);
        Assert.Equal(Files["tables/z_cdf.bin"], nested.GetBytes("tables/z_cdf.bin").ToArray());
    }

    [Fact]
    public void VariableRateManifest_RoundTrips()
    {
        var manifest = ModelBundleWriter.CreateManifest("vbr", "tiny", [1, 2, 3], [0.0018, 0.0035, 0.0067], Files);
        using var dir = new TempDir();
        ModelBundleWriter.WriteFolder(dir.Path, manifest, Files);
        var loaded = ModelBundle.Load(dir.Path).Manifest;
        Assert.Equal([1, 2, 3], loaded.Qualities);
        Assert.Equal([0.0018, 0.0035, 0.0067], loaded.Lambdas);
        Assert.Null(loaded.Card);
    }

    [Fact]
    public void Format2Manifest_RoundTrips_WithItsAnchors()
    {
        var rate = new RateAnchors([new RateAnchor(1, 0.0018, 0.61, 0.55), new RateAnchor(2.5, null, 0.25, 0.125), new RateAnchor(6, 0.0483, -1.0, -0.75)]);
        var manifest = ModelBundleWriter.CreateManifest("vr", "tiny", rate, Files);
        Assert.Equal(2, manifest.FormatVersion);
        using var dir = new TempDir();
        ModelBundleWriter.WriteFolder(dir.Path, manifest, Files);

        var json = File.ReadAllText(Path.Combine(dir.Path, "manifest.json"));
        Assert.DoesNotContain("\"quality\": 3", json, StringComparison.Ordinal);
        Assert.DoesNotContain("qualities", json, StringComparison.Ordinal);
        var loaded = ModelBundle.Load(dir.Path).Manifest;
        Assert.Equal(2, loaded.FormatVersion);
        Assert.Empty(loaded.Qualities);
        Assert.Equal(rate.Anchors, loaded.Rate!.Anchors);
        Assert.Equal(1, loaded.Rate.QualityMin);
        Assert.Equal(6, loaded.Rate.QualityMax);
    }

    [Fact]
    public void Format1Manifest_HasNoRate()
    {
        Assert.Null(Manifest().Rate);
        Assert.Equal(1, Manifest().FormatVersion);
    }

    [Fact]
    public void RateAnchors_RejectBadAnchors_WithArgumentException()
    {
        Assert.Throws<ArgumentException>(() => new RateAnchors([new RateAnchor(1, null, 0, 0)]));
        Assert.Throws<ArgumentException>(() => new RateAnchors([new RateAnchor(2, null, 0, 0), new RateAnchor(1, null, 0, 0)]));
        Assert.Throws<ArgumentException>(() => new RateAnchors([new RateAnchor(1, null, double.NaN, 0), new RateAnchor(2, null, 0, 0)]));
    }

    [Fact]
    public void WriteSet_RefusesAVariableRateBundle()
    {
        var rate = new RateAnchors([new RateAnchor(1, null, 0, 0), new RateAnchor(2, null, 0, 0)]);
        using var dir = new TempDir();
        ModelBundleWriter.WriteFolder(dir.Path, ModelBundleWriter.CreateManifest("vr", "tiny", rate, Files), Files);
        var ex = Assert.Throws<ArgumentException>(() => ModelBundleWriter.WriteSet(new MemoryStream(), [ModelBundle.Load(dir.Path)]));
        Assert.Contains("variable-rate", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TamperedFile_FailsItsHash_NamingTheFile()
    {
        using var dir = new TempDir();
        var folder = WriteFolder(dir);
        File.WriteAllBytes(Path.Combine(folder, "tables", "z_cdf.bin"), [1, 2, 3, 4, 6]);

        var ex = Assert.Throws<CompassFormatException>(() => ModelBundle.Load(folder));
        Assert.Contains("'tables/z_cdf.bin'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadOnFirstUse_LoadsWithoutTheFiles_AndATamperedFileFailsItsFirstUse()
    {
        using var dir = new TempDir();
        var folder = WriteFolder(dir);
        var zipPath = dir.Combine("bundle.zip");
        using (var zip = File.Create(zipPath))
        {
            ModelBundleWriter.WriteZip(zip, Manifest(), Files);
        }

        // A zip read on first use is copied at load: the file may change or go afterwards.
        using (var stream = File.OpenRead(zipPath))
        {
            var fromZip = ModelBundle.LoadAll(stream, "bundle.zip", readFilesOnFirstUse: true).Single();
            File.Delete(zipPath);
            Assert.Equal(ModelBundle.Load(folder).IdentityHex, fromZip.IdentityHex);
            Assert.Equal(Files["bl/tiny.onnx"], fromZip.GetBytes("bl/tiny.onnx").ToArray());
        }

        File.WriteAllBytes(Path.Combine(folder, "tables", "z_cdf.bin"), [1, 2, 3, 4, 6]);
        Assert.Throws<CompassFormatException>(() => ModelBundle.Load(folder));
        var bundle = ModelBundle.Load(folder, readFilesOnFirstUse: true);
        Assert.True(bundle.Contains("tables/z_cdf.bin"));
        Assert.Equal(Files["bl/tiny.onnx"], bundle.GetBytes("bl/tiny.onnx").ToArray());
        for (int attempt = 0; attempt < 2; attempt++) // the failure is remembered, not retried into a different answer
        {
            var ex = Assert.Throws<CompassFormatException>(() => bundle.GetBytes("tables/z_cdf.bin"));
            Assert.Equal(CompassFormatErrorKind.Corrupt, ex.Kind);
            Assert.Contains("'tables/z_cdf.bin'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MissingFile_IsNamed()
    {
        using var dir = new TempDir();
        var folder = WriteFolder(dir);
        File.Delete(Path.Combine(folder, "bl", "tiny.onnx"));

        var ex = Assert.Throws<CompassFormatException>(() => ModelBundle.Load(folder));
        Assert.Contains("'bl/tiny.onnx'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingManifest_IsReported()
    {
        using var dir = new TempDir();
        var folder = WriteFolder(dir);
        File.Delete(Path.Combine(folder, "manifest.json"));
        var ex = Assert.Throws<CompassFormatException>(() => ModelBundle.Load(folder));
        Assert.Contains("no manifest.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"formatVersion": 3, "name": "n", "preset": "p", "quality": 1, "files": {}}""", "unsupported formatVersion 3")]
    [InlineData("""{"formatVersion": 0, "name": "n", "preset": "p", "quality": 1, "files": {}}""", "unsupported formatVersion 0")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "quality": 1, "rate": {}, "files": {}}""", "has 'rate', which needs formatVersion 2")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "quality": 1, "rate": {"anchors": []}, "files": {}}""", "has 'quality', which formatVersion 2 replaces")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "files": {}}""", "must have a 'rate' object")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {}, "files": {}}""", "'rate' is missing 'anchors'")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": 3}, "files": {}}""", "'rate.anchors' must be an array")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": 1, "baseLogStep": 0, "residualLogStep": 0}]}, "files": {}}""", "'rate.anchors' has 1 entry; a variable-rate model needs at least 2")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": 2, "baseLogStep": 0, "residualLogStep": 0}, {"quality": 2, "baseLogStep": 0, "residualLogStep": 0}]}, "files": {}}""", "'rate.anchors[1].quality' 2 does not follow 2")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": 1.001, "baseLogStep": 0, "residualLogStep": 0}, {"quality": 2, "baseLogStep": 0, "residualLogStep": 0}]}, "files": {}}""", "'rate.anchors[0].quality' 1.001 is not a multiple of 1/256")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": 0, "baseLogStep": 0, "residualLogStep": 0}, {"quality": 2, "baseLogStep": 0, "residualLogStep": 0}]}, "files": {}}""", "'rate.anchors[0].quality' 0 is not a multiple of 1/256 inside")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": 1, "baseLogStep": 0, "residualLogStep": 0}, {"quality": 2, "baseLogStep": 5.6, "residualLogStep": 0}]}, "files": {}}""", "'rate.anchors[1].baseLogStep' 5.6 gives a step outside")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": 1, "baseLogStep": 0, "residualLogStep": -12}, {"quality": 2, "baseLogStep": 0, "residualLogStep": 0}]}, "files": {}}""", "'rate.anchors[0].residualLogStep' -12 gives a step outside")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": 1, "baseLogStep": 0}, {"quality": 2, "baseLogStep": 0, "residualLogStep": 0}]}, "files": {}}""", "'rate.anchors[0]' is missing 'residualLogStep'")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": 1, "lambda": -1, "baseLogStep": 0, "residualLogStep": 0}, {"quality": 2, "baseLogStep": 0, "residualLogStep": 0}]}, "files": {}}""", "'rate.anchors[0].lambda' -1 must be a positive")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": "1", "baseLogStep": 0, "residualLogStep": 0}, {"quality": 2, "baseLogStep": 0, "residualLogStep": 0}]}, "files": {}}""", "'rate.anchors[0].quality' must be a finite number")]
    [InlineData("""{"formatVersion": 2, "name": "n", "preset": "p", "rate": {"anchors": [{"quality": 1, "baseLogStep": 0, "residualLogStep": 0}, {"quality": 2, "baseLogStep": 0, "residualLogStep": 0}]}, "files": {}}""", "'files' is empty")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "quality": 1, "files": {""", "not valid JSON")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    [InlineData("""{"name": "n", "preset": "p", "quality": 1, "files": {}}""", "missing 'formatVersion'")]
    [InlineData("""{"formatVersion": "1", "name": "n", "preset": "p", "quality": 1, "files": {}}""", "'formatVersion' must be an integer")]
    [InlineData("""{"formatVersion": 1, "preset": "p", "quality": 1, "files": {}}""", "missing 'name'")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "files": {}}""", "exactly one of 'quality'")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "quality": 1, "qualities": [1], "files": {}}""", "exactly one of 'quality'")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "qualities": [1, 2], "lambdas": [0.1], "files": {}}""", "1 lambda value(s) for 2 quality level(s)")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "quality": 1}""", "must have a 'files' object")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "quality": 1, "files": {}}""", "'files' is empty")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "quality": 1, "files": {"a.onnx": "xyz"}}""", "hash of 'a.onnx' must be 64 hex digits")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "quality": 1, "files": {"../a.onnx": "0000000000000000000000000000000000000000000000000000000000000000"}}""", "'../a.onnx' is not a valid bundle path")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "quality": 1, "files": {"/etc/passwd": "0000000000000000000000000000000000000000000000000000000000000000"}}""", "'/etc/passwd' is not a valid bundle path")]
    [InlineData("""{"formatVersion": 1, "name": "n", "preset": "p", "quality": 1, "card": 3, "files": {"a": "0000000000000000000000000000000000000000000000000000000000000000"}}""", "'card' must be a JSON object")]
    public void BadManifests_AreRejected_SayingWhatIsWrong(string json, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("manifest.json"), json, new UTF8Encoding(false));

        var ex = Assert.Throws<CompassFormatException>(() => ModelBundle.Load(dir.Path));
        Assert.Contains("manifest.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NotAZip_IsAFormatError_AndNoPathIsFileNotFound()
    {
        using var dir = new TempDir();
        var path = dir.Combine("bundle.zip");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("this is not a zip file at all"));
        Assert.Contains("not a zip archive", Assert.Throws<CompassFormatException>(() => ModelBundle.Load(path)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => ModelBundle.Load(dir.Combine("absent")));
    }

    [Fact]
    public void ChangingTheCard_ChangesTheIdentity()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        ModelBundleWriter.WriteFolder(a.Path, Manifest(), Files);
        ModelBundleWriter.WriteFolder(b.Path, ModelBundleWriter.CreateManifest("synthetic", "tiny", [3], [0.0067], Files), Files);
        Assert.NotEqual(ModelBundle.Load(a.Path).IdentityHex, ModelBundle.Load(b.Path).IdentityHex);
    }

    [Fact]
    public void Writer_RefusesBytesThatDoNotMatchTheManifest()
    {
        using var dir = new TempDir();
        var wrong = new Dictionary<string, byte[]>(Files) { ["tables/z_cdf.bin"] = [9] };
        Assert.Throws<ArgumentException>(() => ModelBundleWriter.WriteFolder(dir.Path, Manifest(), wrong));
        Assert.ThrowsAny<CompassFormatException>(() => ModelBundleWriter.CreateManifest("n", "p", [1], [], new Dictionary<string, byte[]> { ["../x"] = [1] }));
    }
}
