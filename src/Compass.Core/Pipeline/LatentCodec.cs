using Compass.EntropyCoding;
using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>The coded form of one image through one mean-scale codec: the z and y rANS strings.</summary>
internal readonly record struct CodedLatents(byte[] ZStream, byte[] YStream);

/// <summary>
/// Runs one mean-scale hyperprior codec end to end: analysis, quantisation around the medians and means,
/// rANS coding, and the synthesis that the decoder will see. Encoder and decoder share the code after the
/// entropy decode, so the encoder's reconstruction is exactly the decoder's.
/// </summary>
internal static class LatentCodec
{
    /// <summary>
    /// Codes <paramref name="image"/> at quantisation step <paramref name="stepQ16"/> / 65536 and returns the strings and
    /// the reconstruction the decoder will produce (synthesised tile by tile as <paramref name="tiling"/> says, and added
    /// into <paramref name="addTo"/> when given; null when <paramref name="reconstruct"/> is false, which skips the synthesis).
    /// </summary>
    public static (CodedLatents Coded, PlanarImage? Reconstruction) Encode(ICompassNetworks networks, CodecRole role, PlanarImage image, byte entropyPath,
        TilingPolicy tiling, int stepQ16, PlanarImage? addTo = null, bool reconstruct = true, CancellationToken cancellationToken = default)
    {
        var analyzed = Analyze(networks, role, image, entropyPath, tiling, cancellationToken);
        var (coded, ySymbols) = analyzed.Quantize(stepQ16);
        return (coded, reconstruct ? analyzed.Reconstruct(ySymbols, stepQ16, addTo, cancellationToken) : null);
    }

    /// <summary>
    /// Everything of coding <paramref name="image"/> that does not depend on the step: analysis, the z string, the
    /// hyper-synthesis. <see cref="AnalyzedLatents.Quantize"/> then codes y at any step (rate control probes many).
    /// </summary>
    public static AnalyzedLatents Analyze(ICompassNetworks networks, CodecRole role, PlanarImage image, byte entropyPath,
        TilingPolicy tiling, CancellationToken cancellationToken = default)
    {
        var tables = networks.GetTables(role);
        var (y, z) = TiledAnalysis.Analyze(networks, role, image, tiling, cancellationToken);
        int yh = LatentGeometry.YExtent(image.Height), yw = LatentGeometry.YExtent(image.Width);
        if (y.Height != yh || y.Width != yw || z.Height != LatentGeometry.ZExtent(image.Height) || z.Width != LatentGeometry.ZExtent(image.Width) || z.Channels != tables.ZChannels)
            throw new InvalidOperationException($"The analysis network returned y {y} and z {z} for a {image.Width}x{image.Height} image; the model does not match its tables.");

        // z: symbol = round(z - median) per channel; z_hat = symbol + median. The step never applies to z.
        var zSymbols = new int[z.Data.Length];
        var zIndexes = ChannelIndexes(z);
        for (int i = 0; i < zSymbols.Length; i++)
            zSymbols[i] = RoundToInt(z.Data[i] - tables.ZMedians[zIndexes[i]]);
        byte[] zStream = RansEncoder.Encode(zSymbols, zIndexes, tables.ZTables);
        var zHat = Dequantize(zSymbols, zIndexes, tables.ZMedians, z.Channels, z.Height, z.Width);

        var (scales, means) = networks.HyperSynthesize(role, zHat, yh, yw);
        var indexer = YIndexer.Create(tables, entropyPath, zSymbols, z.Height, z.Width, scales);
        return new AnalyzedLatents(networks, role, tables, image.Width, image.Height, tiling, zStream, y, means, indexer);
    }

    /// <summary>
    /// Decodes the strings of an image of the given size (added into <paramref name="addTo"/> when given); throws
    /// <see cref="CompassFormatException"/> on a damaged string, restated by <paramref name="location"/> (layer and absolute byte).
    /// </summary>
    public static PlanarImage Decode(ICompassNetworks networks, CodecRole role, ReadOnlySpan<byte> zStream, ReadOnlySpan<byte> yStream, int width, int height, byte entropyPath,
        int stepQ16, TilingPolicy tiling, PayloadLocation location, PlanarImage? addTo = null, CancellationToken cancellationToken = default)
    {
        var yHat = DecodeLatents(networks, role, zStream, yStream, width, height, entropyPath, stepQ16, location);
        return TiledSynthesis.Synthesize(networks, role, yHat, width, height, tiling, addTo, cancellationToken);
    }

    /// <summary>
    /// The entropy-decoding half of <see cref="Decode"/>: z, the hyper-synthesis, y, and y_hat, without the synthesis.
    /// It needs only the strings, so a decoder runs it beside the LIFF prediction of the same layer and synthesises after.
    /// </summary>
    public static LatentTensor DecodeLatents(ICompassNetworks networks, CodecRole role, ReadOnlySpan<byte> zStream, ReadOnlySpan<byte> yStream,
        int width, int height, byte entropyPath, int stepQ16, PayloadLocation location)
    {
        var tables = networks.GetTables(role);
        int zc = tables.ZChannels, zh = LatentGeometry.ZExtent(height), zw = LatentGeometry.ZExtent(width);
        int yh = LatentGeometry.YExtent(height), yw = LatentGeometry.YExtent(width);

        var zShape = new LatentTensor(zc, zh, zw);
        var zIndexes = ChannelIndexes(zShape);
        var zSymbols = new int[zIndexes.Length];
        try
        {
            RansDecoder.Decode(zStream, zIndexes, tables.ZTables, zSymbols);
        }
        catch (CompassFormatException ex)
        {
            throw location.Restate(ex, isY: false, zStream.Length);
        }
        var zHat = Dequantize(zSymbols, zIndexes, tables.ZMedians, zc, zh, zw);

        var (scales, means) = networks.HyperSynthesize(role, zHat, yh, yw);
        var yIndexes = new int[scales.Data.Length];
        YIndexer.Create(tables, entropyPath, zSymbols, zh, zw, scales).GetIndexes(stepQ16, yIndexes);
        var ySymbols = new int[yIndexes.Length];
        try
        {
            RansDecoder.Decode(yStream, yIndexes, tables.YTables, ySymbols);
        }
        catch (CompassFormatException ex)
        {
            throw location.Restate(ex, isY: true, yStream.Length);
        }
        return Dequantize(ySymbols, means, stepQ16);
    }

    private static int[] ChannelIndexes(LatentTensor shape)
    {
        var indexes = new int[shape.Data.Length];
        for (int c = 0; c < shape.Channels; c++)
            indexes.AsSpan(c * shape.PlaneLength, shape.PlaneLength).Fill(c);
        return indexes;
    }

    private static LatentTensor Dequantize(int[] symbols, int[] channel, float[] medians, int c, int h, int w)
    {
        var data = new float[symbols.Length];
        for (int i = 0; i < data.Length; i++) data[i] = symbols[i] + medians[channel[i]];
        return new LatentTensor(c, h, w, data);
    }

    /// <summary>
    /// y_hat = mean + symbol * D in float: the product (exact in double for any int symbol and 24-bit stepQ16) is
    /// rounded to float once, then added to the mean in float. At step 1 this is today's <c>symbol + mean</c> exactly.
    /// </summary>
    internal static LatentTensor Dequantize(int[] symbols, LatentTensor means, int stepQ16)
    {
        double d = stepQ16 / (double)QuantizationSteps.UnitStepQ16;
        var data = new float[symbols.Length];
        for (int i = 0; i < data.Length; i++) data[i] = means.Data[i] + (float)(symbols[i] * d);
        return new LatentTensor(means.Channels, means.Height, means.Width, data);
    }

    /// <summary>symbol = round((y - mean) / D), the difference taken in float as at step 1 and divided in double.</summary>
    internal static void Quantize(float[] y, float[] means, int stepQ16, int[] symbols)
    {
        double d = stepQ16 / (double)QuantizationSteps.UnitStepQ16;
        for (int i = 0; i < symbols.Length; i++)
            symbols[i] = RoundToInt((double)(y[i] - means[i]) / d);
    }

    /// <summary>Round half to even, as torch.round does; saturates instead of overflowing on absurd values.</summary>
    private static int RoundToInt(double value)
    {
        double r = Math.Round(value, MidpointRounding.ToEven);
        if (double.IsNaN(r)) throw new InvalidOperationException("The network produced NaN; the model is broken or the input is invalid.");
        return r >= int.MaxValue ? int.MaxValue : r <= int.MinValue ? int.MinValue : (int)r;
    }
}

/// <summary>
/// The step-independent part of coding one image through one codec (<see cref="LatentCodec.Analyze"/>): y, the means,
/// the z string and the y table-index function. Quantising at a step reuses all of it, so a rate-control probe costs one
/// rounding pass and one rANS encode of y.
/// </summary>
internal sealed class AnalyzedLatents(ICompassNetworks networks, CodecRole role, CodecTables tables, int width, int height, TilingPolicy tiling,
    byte[] zStream, LatentTensor y, LatentTensor means, YIndexer indexer)
{
    /// <summary>The z string (the same at every step).</summary>
    public byte[] ZStream => zStream;

    /// <summary>Codes y at step stepQ16 / 65536: the strings and the y symbols (for <see cref="Reconstruct"/>).</summary>
    public (CodedLatents Coded, int[] YSymbols) Quantize(int stepQ16)
    {
        var yIndexes = new int[y.Data.Length];
        indexer.GetIndexes(stepQ16, yIndexes);
        var ySymbols = new int[y.Data.Length];
        LatentCodec.Quantize(y.Data, means.Data, stepQ16, ySymbols);
        byte[] yStream = RansEncoder.Encode(ySymbols, yIndexes, tables.YTables);
        return (new CodedLatents(zStream, yStream), ySymbols);
    }

    /// <summary>The decoder's reconstruction from the y symbols coded at <paramref name="stepQ16"/> (added into <paramref name="addTo"/> when given).</summary>
    public PlanarImage Reconstruct(int[] ySymbols, int stepQ16, PlanarImage? addTo, CancellationToken cancellationToken)
    {
        var yHat = LatentCodec.Dequantize(ySymbols, means, stepQ16);
        return TiledSynthesis.Synthesize(networks, role, yHat, width, height, tiling, addTo, cancellationToken);
    }
}

/// <summary>
/// The y table indexes at a step D: the index for scale sigma / D. Path 2 derives them from the integer z symbols in fixed
/// point (the last layer's accumulators are computed once, the thresholds per step), so every machine agrees; path 1 from
/// the provider's float scales (only safe where those floats are reproduced exactly).
/// </summary>
internal sealed class YIndexer
{
    private readonly CodecTables _tables;
    private readonly LatentTensor _scales;
    private readonly int[]? _accumulators;

    private YIndexer(CodecTables tables, LatentTensor scales, int[]? accumulators)
    {
        _tables = tables;
        _scales = scales;
        _accumulators = accumulators;
    }

    public static YIndexer Create(CodecTables tables, byte entropyPath, int[] zSymbols, int zh, int zw, LatentTensor scales)
    {
        if (entropyPath != Bitstream.BitstreamFormat.FixedPointEntropyPath)
            return new YIndexer(tables, scales, null);
        var hyperScales = tables.HyperScales
            ?? throw new CompassFormatException(CompassFormatErrorKind.ModelMismatch, "The stream uses the fixed-point entropy path (2), but this model bundle has no fixed-point hyper-synthesis (hs_scales.fxp).");
        return new YIndexer(tables, scales, hyperScales.ComputeAccumulators(zSymbols, tables.ZMedians, zh, zw, scales.Height, scales.Width));
    }

    public void GetIndexes(int stepQ16, int[] yIndexes)
    {
        if (_accumulators is not null)
            _tables.HyperScales!.IndexesFromAccumulators(_accumulators, _scales.Height, _scales.Width, stepQ16, yIndexes);
        else
            _tables.ScaleIndexer.GetIndexes(_scales.Data, yIndexes, stepQ16);
    }
}
