using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Pipeline;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Compass.Onnx.Tests.Networks;

/// <summary>The embedded default model on the CPU provider, loaded once for the tiling tests.</summary>
public sealed class DefaultModelFixture : IDisposable
{
    public DefaultModelFixture()
    {
        if (typeof(OnnxCompassModel).Assembly.GetManifestResourceNames().Contains(OnnxCompassModel.DefaultResourceName))
            Model = OnnxCompassModel.LoadDefault(new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
    }

    public OnnxCompassModel? Model { get; }

    internal ICompassNetworks Networks
    {
        get
        {
            Skip.If(Model is null, "This build embeds no default model.");
            return Model!.GetNetworks(Model.DefaultQuality);
        }
    }

    public void Dispose() => Model?.Dispose();
}

/// <summary>
/// Tiled synthesis and LIFF (<see cref="TilingPolicy"/>) with the real default model: tiles must not show. With a
/// halo at least the receptive field a tiled layer equals the untiled one up to float rounding (ONNX Runtime sums
/// in a different order for different run shapes), so the tolerance is 1e-5 on values in [0, 1].
/// </summary>
public class TilingParityTests(DefaultModelFixture fixture, ITestOutputHelper output) : IClassFixture<DefaultModelFixture>
{
    private const float Tolerance = 1e-5f;
    private static readonly TilingPolicy Untiled = new(synthesisTile: 100_000, synthesisHalo: 1, liffTile: 100_000);

    // 203 x 141 is neither even nor a multiple of 16, so every crop of g_s is exercised.
    [SkippableFact]
    public void Synthesis_TiledEqualsUntiled_AndTheHaloCoversTheReceptiveField()
    {
        var networks = fixture.Networks;
        var image = Kodim23(203, 141);
        var (y, _) = networks.Analyze(CodecRole.Base, image);
        var yHat = new LatentTensor(y.Channels, y.Height, y.Width, [.. y.Data.Select(v => MathF.Round(v))]);
        var whole = TiledSynthesis.Synthesize(networks, CodecRole.Base, yHat, image.Width, image.Height, Untiled);

        var errors = new float[5];
        for (int halo = 1; halo < errors.Length; halo++)
        {
            var tiled = TiledSynthesis.Synthesize(networks, CodecRole.Base, yHat, image.Width, image.Height, new TilingPolicy(3, halo, 1000));
            errors[halo] = MaxAbsDifference(whole, tiled);
            output.WriteLine($"synthesis, 3x3-latent tiles, halo {halo}: max |tiled - untiled| = {errors[halo]:E2}");
        }
        // g_s sees under 2 latent pixels: from a halo of 2 on, tiling changes only the rounding.
        Assert.True(errors[1] > 1e-3f, $"a 1-pixel halo should be too small (got {errors[1]:E2}); otherwise this test cannot see seams");
        for (int halo = 2; halo < errors.Length; halo++) Assert.True(errors[halo] <= Tolerance, $"halo {halo}: {errors[halo]:E2}");
        Assert.True(errors[TilingPolicy.Default.SynthesisHalo] <= Tolerance);
    }

    // 203 x 141 is odd and no multiple of 64, so the first tile's stages pad (replicate a row or column) and the
    // others' do not: one-z-pixel tiles (64 image pixels) exercise every offset of the tile grid.
    [SkippableFact]
    public void Analysis_TiledEqualsUntiled_AndTheHaloCoversTheReceptiveField()
    {
        var networks = fixture.Networks;
        var image = Kodim23(203, 141);
        var (y, z) = networks.Analyze(CodecRole.Base, image);
        var errors = new float[4];
        for (int halo = 0; halo < errors.Length; halo++)
        {
            var (ty, tz) = TiledAnalysis.Analyze(networks, CodecRole.Base, image, new TilingPolicy(1000, 1, 1000, analysisTile: 1, analysisHalo: halo));
            errors[halo] = Math.Max(MaxAbsDifference(y, ty), MaxAbsDifference(z, tz));
            output.WriteLine($"analysis, 1x1-z-pixel tiles, halo {halo}: max |tiled - untiled| over y and z = {errors[halo]:E2} (max |y| {y.Data.Max(MathF.Abs):F1})");
        }
        Assert.True(errors[0] > 1e-2f, $"no halo should show seams (got {errors[0]:E2}); otherwise this test cannot see them");
        Assert.True(errors[TilingPolicy.Default.AnalysisHalo] <= AnalysisTolerance, $"halo {TilingPolicy.Default.AnalysisHalo}: {errors[TilingPolicy.Default.AnalysisHalo]:E2}");
    }

    // y and z are unbounded network outputs (|y| up to tens): float rounding of different run shapes, relative 1e-6.
    private const float AnalysisTolerance = 1e-4f;

    private static float MaxAbsDifference(LatentTensor a, LatentTensor b)
    {
        Assert.Equal((a.Channels, a.Height, a.Width), (b.Channels, b.Height, b.Width));
        float max = 0;
        for (int i = 0; i < a.Data.Length; i++) max = Math.Max(max, Math.Abs(a.Data[i] - b.Data[i]));
        return max;
    }

    [SkippableFact]
    public void Prediction_TiledEqualsUntiled()
    {
        var networks = fixture.Networks;
        var previous = Kodim23(97, 70);
        var whole = networks.Predict(previous, 203, 141, CancellationToken.None);
        var tiled = TiledPrediction.Predict(networks, previous, 203, 141, new TilingPolicy(1000, 1, 24), CancellationToken.None);
        float error = MaxAbsDifference(whole, tiled);
        output.WriteLine($"LIFF 97x70 -> 203x141, 24-pixel source tiles, radius {networks.LiffRadius}: max |tiled - untiled| = {error:E2}");
        Assert.True(error <= Tolerance, $"{error:E2}");

        // The radius is the real receptive field, not a loose bound: one pixel less already differs (measured:
        // 1e-6 at radius - 1, 4e-2 at 3), and a small radius gives visible seams.
        Assert.True(SeamError(networks, previous, whole, networks.LiffRadius - 1) > 0f);
        Assert.True(SeamError(networks, previous, whole, 3) > 1e-3f);
    }

    private float SeamError(ICompassNetworks networks, PlanarImage previous, PlanarImage whole, int radius)
    {
        var seams = TiledPrediction.Predict(new RadiusOverride(networks, radius), previous, 203, 141, new TilingPolicy(1000, 1, 24), CancellationToken.None);
        float error = MaxAbsDifference(whole, seams);
        output.WriteLine($"LIFF with a halo of {radius}: max |tiled - untiled| = {error:E2}");
        return error;
    }

    // The encoder and decoder tile alike: the decoder reproduces the encoder's reconstructions bit for bit, and the
    // tiled chain stays within rounding of the untiled one across three layers.
    [SkippableFact]
    public void LayerChain_TiledDecodeReproducesTheTiledEncode()
    {
        var networks = fixture.Networks;
        var small = new TilingPolicy(synthesisTile: 4, synthesisHalo: 3, liffTile: 40);
        byte path = networks.EntropyPath;
        (int W, int H)[] plan = [(64, 43), (121, 81), (203, 141)];
        PlanarImage? encoded = null, decoded = null, untiled = null;
        for (int k = 0; k < plan.Length; k++)
        {
            var target = Kodim23(plan[k].W, plan[k].H);
            var (coded, reconstruction) = LayerChain.EncodeLayer(networks, k, target, encoded, path, Compass.Bitstream.LayerRate.UnitStepQ16, CancellationToken.None, tiling: small);
            var result = LayerChain.DecodeLayer(networks, k, coded.ZStream, coded.YStream, plan[k].W, plan[k].H, decoded, path, Compass.Bitstream.LayerRate.UnitStepQ16, CancellationToken.None, small);
            var reference = LayerChain.DecodeLayer(networks, k, coded.ZStream, coded.YStream, plan[k].W, plan[k].H, untiled, path, Compass.Bitstream.LayerRate.UnitStepQ16, CancellationToken.None, Untiled);
            Assert.Equal(reconstruction!.Data, result.Data);
            float drift = MaxAbsDifference(reference, result);
            output.WriteLine($"layer {k} {plan[k].W}x{plan[k].H}: max |tiled - untiled| = {drift:E2}");
            Assert.True(drift <= 1e-4f, $"layer {k}: {drift:E2}");
            (encoded, decoded, untiled) = (reconstruction, result, reference);
        }
    }

    private static PlanarImage Kodim23(int width, int height)
    {
        var image = ImageSharpLoader.LoadPixels(Path.Combine(AppContext.BaseDirectory, "Assets", "kodim23.png"));
        return PlanarImage.FromPixels(Resampler.ResizeBicubic(image, width, height));
    }

    private static float MaxAbsDifference(PlanarImage a, PlanarImage b)
    {
        Assert.Equal(a.Data.Length, b.Data.Length);
        float max = 0;
        for (int i = 0; i < a.Data.Length; i++) max = Math.Max(max, Math.Abs(a.Data[i] - b.Data[i]));
        return max;
    }

    /// <summary>The same networks claiming a different LIFF radius.</summary>
    private sealed class RadiusOverride(ICompassNetworks inner, int radius) : ICompassNetworks
    {
        public Bitstream.ModelIdentity ModelId => inner.ModelId;
        public int LiffRadius => radius;
        public void ReleaseScratch() => inner.ReleaseScratch();
        public CodecTables GetTables(CodecRole role) => inner.GetTables(role);
        public (LatentTensor Y, LatentTensor Z) Analyze(CodecRole role, PlanarImage image) => inner.Analyze(role, image);
        public (LatentTensor Scales, LatentTensor Means) HyperSynthesize(CodecRole role, LatentTensor zHat, int yHeight, int yWidth) => inner.HyperSynthesize(role, zHat, yHeight, yWidth);
        public PlanarImage Synthesize(CodecRole role, LatentTensor yHat, int width, int height) => inner.Synthesize(role, yHat, width, height);
        public PlanarImage Predict(PlanarImage source, LiffWindow window, CancellationToken cancellationToken) => inner.Predict(source, window, cancellationToken);
    }
}
