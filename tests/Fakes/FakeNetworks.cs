using Compass.Bitstream;
using Compass.EntropyCoding;
using Compass.Imaging;
using Compass.Pipeline;

namespace Compass.Testing;

/// <summary>
/// Small deterministic stand-ins for the neural networks: block means for analysis, nearest upsampling for
/// synthesis and prediction. They exercise the whole pipeline (sizes, quantisation, entropy coding,
/// bitstream, layer chain) without ONNX Runtime; the real networks are tested in Compass.Onnx.Tests.
/// </summary>
internal sealed class FakeNetworks : ICompassNetworks
{
    private const int M = 4, N = 2;
    private const float YGain = 12f;
    private readonly CodecTables _tables;

    public FakeNetworks(byte seed = 1)
    {
        var id = new byte[ModelIdentity.Size];
        id[0] = seed;
        ModelId = new ModelIdentity(id);
        var scaleTable = GaussianTableBuilder.DefaultScaleTable();
        var zPmfs = new List<float[]>();
        for (int c = 0; c < N; c++)
        {
            var pmf = new float[41];
            for (int i = 0; i < pmf.Length; i++) pmf[i] = MathF.Exp(-MathF.Abs(i - 20) / (1.5f + c));
            float sum = pmf.Sum();
            for (int i = 0; i < pmf.Length; i++) pmf[i] = pmf[i] / sum * (1 - 1e-6f);
            zPmfs.Add(pmf);
        }
        var zTables = FactorizedTableBuilder.FromPmfs(zPmfs, new float[] { 1e-6f, 1e-6f }, new[] { -20, -20 });
        _tables = new CodecTables(zTables, new[] { 0f, 0.25f }, GaussianTableBuilder.Build(scaleTable), new ScaleTableIndexer(scaleTable));
    }

    public ModelIdentity ModelId { get; }

    public int PredictCalls;

    public int ReleaseScratchCalls;

    public void ReleaseScratch() => Interlocked.Increment(ref ReleaseScratchCalls);

    public CodecTables GetTables(CodecRole role) => _tables;

    public (LatentTensor Y, LatentTensor Z) Analyze(CodecRole role, PlanarImage image)
    {
        int yh = LatentGeometry.YExtent(image.Height), yw = LatentGeometry.YExtent(image.Width);
        var y = new LatentTensor(M, yh, yw);
        for (int c = 0; c < 3; c++)
            for (int by = 0; by < yh; by++)
                for (int bx = 0; bx < yw; bx++)
                    y.Data[(c * yh + by) * yw + bx] = BlockMean(image, c, by, bx, 16) * YGain + (role == CodecRole.Base ? 0 : 0.3f);
        int zh = LatentGeometry.ZExtent(image.Height), zw = LatentGeometry.ZExtent(image.Width);
        var z = new LatentTensor(N, zh, zw);
        for (int c = 0; c < N; c++)
            for (int i = 0; i < zh; i++)
                for (int j = 0; j < zw; j++)
                    z.Data[(c * zh + i) * zw + j] = y.Data[(c * yh + Math.Min(i * 4, yh - 1)) * yw + Math.Min(j * 4, yw - 1)] / 4f;
        return (y, z);
    }

    public (LatentTensor Scales, LatentTensor Means) HyperSynthesize(CodecRole role, LatentTensor zHat, int yHeight, int yWidth)
    {
        var scales = new LatentTensor(M, yHeight, yWidth);
        var means = new LatentTensor(M, yHeight, yWidth);
        for (int c = 0; c < M; c++)
            for (int i = 0; i < yHeight; i++)
                for (int j = 0; j < yWidth; j++)
                {
                    int at = (c * yHeight + i) * yWidth + j;
                    float zv = zHat.Data[((c % N) * zHat.Height + i / 4) * zHat.Width + j / 4];
                    means.Data[at] = c < N ? zv * 4f : 0f;
                    scales.Data[at] = 0.3f + 0.2f * MathF.Abs(zv) + 0.05f * c;
                }
        return (scales, means);
    }

    // Row y of the image is latent row (y + D) / 16 with D = 16 * yh - height: the real g_s crops its first
    // rows/columns the same way, so tiles of this fake line up exactly as tiles of the real network do.
    public PlanarImage Synthesize(CodecRole role, LatentTensor yHat, int width, int height)
    {
        var image = new PlanarImage(width, height);
        float shift = role == CodecRole.Base ? 0 : 0.3f;
        int cropY = 16 * yHat.Height - height, cropX = 16 * yHat.Width - width;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    image.Data[(c * height + y) * width + x] = (yHat.Data[(c * yHat.Height + (y + cropY) / 16) * yHat.Width + (x + cropX) / 16] - shift) / YGain;
        return image;
    }

    public int LiffRadius => 0;

    // Nearest neighbour through the real LIFF grid, so windows line up as the real network's do.
    public PlanarImage Predict(PlanarImage source, LiffWindow window, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref PredictCalls);
        cancellationToken.ThrowIfCancellationRequested();
        var grid = LiffGrid.Create(window.SourceHeight, window.SourceWidth, window.TargetHeight, window.TargetWidth);
        var t = window.Target;
        var image = new PlanarImage(t.Width, t.Height);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < t.Height; y++)
                for (int x = 0; x < t.Width; x++)
                    image[c, y, x] = source[c, grid.RowIndex[t.Y + y] - window.Source.Y, grid.ColumnIndex[t.X + x] - window.Source.X];
        return image;
    }

    private static float BlockMean(PlanarImage image, int c, int by, int bx, int block)
    {
        float sum = 0;
        int n = 0;
        for (int y = by * block; y < Math.Min((by + 1) * block, image.Height); y++)
            for (int x = bx * block; x < Math.Min((bx + 1) * block, image.Width); x++) { sum += image[c, y, x]; n++; }
        return sum / n;
    }
}

/// <summary>A model set of fake networks at qualities 1 and 2.</summary>
internal sealed class FakeModel : CompassModel
{
    private readonly Dictionary<int, FakeNetworks> _networks;

    public FakeModel(byte seed = 1) => _networks = new() { [1] = new FakeNetworks(seed), [2] = new FakeNetworks((byte)(seed + 100)) };

    public override IReadOnlyList<int> Qualities => _networks.Keys.Order().ToList();

    public override string Description => "fake networks for pipeline tests";

    public FakeNetworks Networks(int quality) => _networks[quality];

    public override ICompassNetworks GetNetworks(int quality) =>
        _networks.TryGetValue(quality, out var n) ? n : throw new ArgumentOutOfRangeException(nameof(quality));
}

/// <summary>
/// A variable-rate model of fake networks: one network set for every quality in 1..3, the steps from its anchors. With
/// <c>seed: 101</c> its networks are <see cref="FakeModel"/>'s quality 2, and its anchor at 2 has log-step 0, so it codes
/// quality 2 exactly as that single-rate level does.
/// </summary>
internal sealed class FakeVariableRateModel(byte seed = 101) : CompassModel
{
    private readonly FakeNetworks _networks = new(seed);

    public override IReadOnlyList<int> Qualities => [1, 2, 3];

    public override string Description => "fake variable-rate networks for pipeline tests";

    public override Compass.Bundles.RateAnchors Rate { get; } = new([
        new(1, 0.0018, Math.Log(4), Math.Log(3)),
        new(2, 0.0035, 0, 0),
        new(3, 0.0067, Math.Log(0.25), Math.Log(0.3)),
    ]);

    public override ICompassNetworks GetNetworks(int quality) =>
        quality is >= 1 and <= 3 ? _networks : throw new ArgumentOutOfRangeException(nameof(quality));
}
