using Compass.Imaging;
using Compass.Pipeline;
using Compass.Testing;

namespace Compass.Tests.Pipeline;

/// <summary>
/// Tiled synthesis and prediction (<see cref="TilingPolicy"/>) with the fake networks, whose outputs are exact per
/// pixel: a tiled layer must equal the untiled one bit for bit, so any misplaced tile, crop offset or window shows.
/// (The real networks are checked in Compass.Onnx.Tests/Networks/TilingParityTests.)
/// </summary>
public class TilingTests
{
    private static readonly TilingPolicy Untiled = new(synthesisTile: 100_000, synthesisHalo: 1, liffTile: 100_000);

    [Theory]
    [InlineData(10, 3, new[] { 0, 2, 5, 7, 10 })]
    [InlineData(7, 7, new[] { 0, 7 })]
    [InlineData(8, 3, new[] { 0, 2, 5, 8 })]
    [InlineData(1, 64, new[] { 0, 1 })]
    public void Split_CutsIntoTheFewestNearEqualParts(int extent, int maxPart, int[] bounds)
    {
        var parts = TilingPolicy.Split(extent, maxPart);
        Assert.Equal(bounds.Length - 1, parts.Length);
        for (int k = 0; k < parts.Length; k++)
        {
            Assert.Equal((bounds[k], bounds[k + 1]), parts[k]);
            Assert.InRange(parts[k].End - parts[k].Start, 1, maxPart);
        }
    }

    [Fact]
    public void DefaultPolicy_LeavesKodakSizeLayersInOneTile()
    {
        var policy = TilingPolicy.Default;
        Assert.Single(TilingPolicy.Split(LatentGeometry.YExtent(768), policy.SynthesisTile));
        Assert.Single(TilingPolicy.Split(384, policy.LiffTile)); // the source of a 768-wide layer predicted at 2x
        Assert.Equal(6, TilingPolicy.Split(LatentGeometry.YExtent(6000), policy.SynthesisTile).Length);
    }

    // Odd sizes and sizes that are not multiples of 16 exercise every crop of g_s.
    [Theory]
    [InlineData(203, 141, 3, 1)]
    [InlineData(160, 97, 2, 2)]
    [InlineData(17, 33, 1, 1)]
    [InlineData(250, 129, 5, 4)]
    public void Synthesis_TiledEqualsUntiled(int width, int height, int tile, int halo)
    {
        var networks = new FakeNetworks();
        var yHat = RandomLatent(4, LatentGeometry.YExtent(height), LatentGeometry.YExtent(width), seed: width + height);
        var whole = TiledSynthesis.Synthesize(networks, CodecRole.Residual, yHat, width, height, Untiled);
        var tiled = TiledSynthesis.Synthesize(networks, CodecRole.Residual, yHat, width, height, new TilingPolicy(tile, halo, 1000));
        Assert.Equal(whole.Data, tiled.Data);
    }

    // The fake analysis takes 16x16 block means from the top-left and z from every fourth y, which is the real
    // networks' alignment when the size is a multiple of 64; odd sizes are checked with the real model in
    // Compass.Onnx.Tests (TilingParityTests).
    [Theory]
    [InlineData(256, 192, 1, 1)]
    [InlineData(320, 128, 2, 0)]
    [InlineData(448, 384, 2, 1)]
    public void Analysis_TiledEqualsUntiled(int width, int height, int tile, int halo)
    {
        var networks = new FakeNetworks();
        var image = RandomImage(width, height, seed: width);
        var (y, z) = networks.Analyze(CodecRole.Base, image);
        var (ty, tz) = TiledAnalysis.Analyze(networks, CodecRole.Base, image, new TilingPolicy(1000, 1, 1000, analysisTile: tile, analysisHalo: halo));
        Assert.Equal(y.Data, ty.Data);
        Assert.Equal(z.Data, tz.Data);
        Assert.True(TilingPolicy.Split(LatentGeometry.ZExtent(height), tile).Length * TilingPolicy.Split(LatentGeometry.ZExtent(width), tile).Length > 1);
    }

    [Fact]
    public void DefaultPolicy_AnalysesLayersUpTo1024PixelsInOneTile()
    {
        var policy = TilingPolicy.Default;
        Assert.Single(TilingPolicy.Split(LatentGeometry.ZExtent(1024), policy.AnalysisTile));
        Assert.Equal(2, TilingPolicy.Split(LatentGeometry.ZExtent(1025), policy.AnalysisTile).Length);
        Assert.Equal(6, TilingPolicy.Split(LatentGeometry.ZExtent(6000), policy.AnalysisTile).Length);
    }

    [Fact]
    public void Synthesis_AddsIntoTheGivenImage()
    {
        var networks = new FakeNetworks();
        var yHat = RandomLatent(4, LatentGeometry.YExtent(90), LatentGeometry.YExtent(70), seed: 5);
        var whole = TiledSynthesis.Synthesize(networks, CodecRole.Base, yHat, 70, 90, Untiled);
        var addTo = RandomImage(70, 90, seed: 6);
        var expected = addTo.Data.Zip(whole.Data, (a, b) => a + b).ToArray();
        var result = TiledSynthesis.Synthesize(networks, CodecRole.Base, yHat, 70, 90, new TilingPolicy(2, 1, 1000), addTo);
        Assert.Same(addTo, result);
        Assert.Equal(expected, result.Data);
    }

    [Theory]
    [InlineData(61, 45, 150, 101, 7)]
    [InlineData(40, 30, 41, 60, 4)]
    [InlineData(33, 20, 99, 20, 5)]
    [InlineData(100, 80, 233, 157, 31)]
    public void Prediction_TiledEqualsUntiled(int sourceWidth, int sourceHeight, int width, int height, int tile)
    {
        var networks = new FakeNetworks();
        var previous = RandomImage(sourceWidth, sourceHeight, seed: tile);
        var whole = TiledPrediction.Predict(networks, previous, width, height, Untiled, CancellationToken.None);
        int before = networks.PredictCalls;
        var tiled = TiledPrediction.Predict(networks, previous, width, height, new TilingPolicy(1000, 1, tile), CancellationToken.None);
        Assert.True(networks.PredictCalls - before > 1, "the small tile must force several windows");
        Assert.Equal(whole.Data, tiled.Data);
    }

    // The encoder's last layer subtracts the prediction tile by tile instead of forming it whole: the residual must
    // be target - prediction bit for bit, tiled or not (exact comparison: the same float subtraction per pixel).
    [Theory]
    [InlineData(61, 45, 150, 101, 7)]
    [InlineData(40, 30, 41, 60, 100)]
    public void SubtractFrom_EqualsTargetMinusPrediction(int sourceWidth, int sourceHeight, int width, int height, int tile)
    {
        var networks = new FakeNetworks();
        var previous = RandomImage(sourceWidth, sourceHeight, seed: tile);
        var target = RandomImage(width, height, seed: tile + 1);
        var policy = new TilingPolicy(1000, 1, tile);
        var prediction = TiledPrediction.Predict(networks, previous, width, height, policy, CancellationToken.None);
        var expected = target.Data.Select((t, i) => t - prediction.Data[i]).ToArray();
        TiledPrediction.SubtractFrom(networks, previous, target, policy, CancellationToken.None);
        Assert.Equal(expected, target.Data);
    }

    // A multi-tile prediction frees the backend's scratch memory when it ends (the analysis or synthesis that follows
    // a large layer needs it), also when it fails; a single-tile one keeps it for the next call.
    [Fact]
    public void Prediction_ReleasesScratchAfterSeveralTilesOnly()
    {
        var networks = new FakeNetworks();
        var previous = RandomImage(40, 30, seed: 3);
        TiledPrediction.Predict(networks, previous, 80, 60, Untiled, CancellationToken.None);
        Assert.Equal(0, networks.ReleaseScratchCalls);
        TiledPrediction.Predict(networks, previous, 80, 60, new TilingPolicy(1000, 1, 8), CancellationToken.None);
        Assert.Equal(1, networks.ReleaseScratchCalls);
        TiledPrediction.SubtractFrom(networks, previous, RandomImage(80, 60, seed: 4), new TilingPolicy(1000, 1, 8), CancellationToken.None);
        Assert.Equal(2, networks.ReleaseScratchCalls);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            TiledPrediction.Predict(networks, previous, 80, 60, new TilingPolicy(1000, 1, 8), cts.Token));
        Assert.Equal(3, networks.ReleaseScratchCalls);
    }

    [Fact]
    public void Prediction_ChecksCancellationBetweenTiles()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            TiledPrediction.Predict(new FakeNetworks(), RandomImage(40, 30, 1), 80, 60, new TilingPolicy(1000, 1, 8), cts.Token));
    }

    // Encoder and decoder tile alike, so the decoder still reproduces the encoder's reconstructions exactly, and
    // with these exact fakes tiling changes nothing at all.
    [Fact]
    public void LayerChain_TiledEncodeAndDecodeAgreeExactly()
    {
        ICompassNetworks networks = new FakeNetworks();
        var image = RandomImage(331, 203, seed: 9);
        (int W, int H)[] plan = [(83, 51), (165, 101), (331, 203)];
        var small = new TilingPolicy(synthesisTile: 2, synthesisHalo: 1, liffTile: 16);
        byte path = networks.EntropyPath;

        PlanarImage? previousEncoded = null, previousUntiled = null, previousDecoded = null;
        for (int k = 0; k < plan.Length; k++)
        {
            var target = Resampler.ResizeBicubic(image, plan[k].W, plan[k].H);
            // EncodeLayer turns an enhancement layer's target into its residual in place: each call gets its own copy.
            var (coded, reconstruction) = LayerChain.EncodeLayer(networks, k, target.Clone(), previousEncoded, path, Compass.Bitstream.LayerRate.UnitStepQ16, CancellationToken.None, tiling: small);
            var (codedUntiled, untiled) = LayerChain.EncodeLayer(networks, k, target, previousUntiled, path, Compass.Bitstream.LayerRate.UnitStepQ16, CancellationToken.None, tiling: Untiled);
            var decoded = LayerChain.DecodeLayer(networks, k, coded.ZStream, coded.YStream, plan[k].W, plan[k].H, previousDecoded, path, Compass.Bitstream.LayerRate.UnitStepQ16, CancellationToken.None, small);
            Assert.Equal(reconstruction!.Data, decoded.Data);
            Assert.Equal(untiled!.Data, reconstruction.Data);
            Assert.Equal(codedUntiled.YStream, coded.YStream);
            (previousEncoded, previousUntiled, previousDecoded) = (reconstruction, untiled, decoded);
        }
    }

    private sealed class Recorder : IProgress<TileProgress>
    {
        public List<TileProgress> Reports { get; } = [];

        public void Report(TileProgress value)
        {
            lock (Reports) Reports.Add(value);
        }
    }

    [Fact]
    public void EveryTiledStageReportsEachTileOnceAndTheTilesDoNotChange()
    {
        var networks = new FakeNetworks();
        var recorder = new Recorder();
        var sink = new TileProgressSink(recorder, layer: 1, layerCount: 3);

        var image = RandomImage(256, 192, seed: 3);
        var plain = new TilingPolicy(2, 1, 40, analysisTile: 1, analysisHalo: 1);
        var (y, _) = TiledAnalysis.Analyze(networks, CodecRole.Base, image, plain);
        var (ty, _) = TiledAnalysis.Analyze(networks, CodecRole.Base, image, plain.WithProgress(sink));
        Assert.Equal(y.Data, ty.Data);
        // 256x192 has 4x3 z pixels: one tile each.
        Assert.Equal(Enumerable.Range(1, 12), recorder.Reports.Select(r => r.TilesDone));
        Assert.All(recorder.Reports, r => Assert.Equal((1, 3, TileStage.Analysis, 12), (r.LayerIndex, r.LayerCount, r.Stage, r.TilesTotal)));

        recorder.Reports.Clear();
        var tiled = TiledSynthesis.Synthesize(networks, CodecRole.Base, y, 256, 192, plain.WithProgress(sink));
        Assert.Equal(TiledSynthesis.Synthesize(networks, CodecRole.Base, y, 256, 192, plain).Data, tiled.Data);
        Assert.Equal(8 * 6, recorder.Reports.Count); // 16x12 latent pixels in 2x2 tiles
        Assert.All(recorder.Reports, r => Assert.Equal(TileStage.Synthesis, r.Stage));
        Assert.Equal(48, recorder.Reports[^1].TilesDone);

        recorder.Reports.Clear();
        TiledPrediction.Predict(networks, image, 512, 384, plain.WithProgress(sink), CancellationToken.None);
        Assert.NotEmpty(recorder.Reports);
        Assert.All(recorder.Reports, r => Assert.Equal(TileStage.Prediction, r.Stage));
        Assert.Equal(recorder.Reports[0].TilesTotal, recorder.Reports[^1].TilesDone);

        Assert.Same(plain, plain.WithProgress(null));
    }

    private static LatentTensor RandomLatent(int channels, int height, int width, int seed)
    {
        var rng = new Random(seed);
        var t = new LatentTensor(channels, height, width);
        for (int i = 0; i < t.Data.Length; i++) t.Data[i] = MathF.Round((float)(rng.NextDouble() * 20 - 10));
        return t;
    }

    private static PlanarImage RandomImage(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var image = new PlanarImage(width, height);
        for (int i = 0; i < image.Data.Length; i++) image.Data[i] = (float)rng.NextDouble();
        return image;
    }
}
