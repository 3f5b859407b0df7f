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
    /// Codes <paramref name="image"/> and returns the strings and the reconstruction the decoder will produce
    /// (synthesised tile by tile as <paramref name="tiling"/> says, and added into <paramref name="addTo"/> when given;
    /// null when <paramref name="reconstruct"/> is false, which skips the synthesis).
    /// </summary>
    public static (CodedLatents Coded, PlanarImage? Reconstruction) Encode(ICompassNetworks networks, CodecRole role, PlanarImage image, byte entropyPath,
        TilingPolicy tiling, PlanarImage? addTo = null, bool reconstruct = true, CancellationToken cancellationToken = default)
    {
        var tables = networks.GetTables(role);
        var (y, z) = TiledAnalysis.Analyze(networks, role, image, tiling, cancellationToken);
        int yh = LatentGeometry.YExtent(image.Height), yw = LatentGeometry.YExtent(image.Width);
        if (y.Height != yh || y.Width != yw || z.Height != LatentGeometry.ZExtent(image.Height) || z.Width != LatentGeometry.ZExtent(image.Width) || z.Channels != tables.ZChannels)
            throw new InvalidOperationException($"The analysis network returned y {y} and z {z} for a {image.Width}x{image.Height} image; the model does not match its tables.");

        // z: symbol = round(z - median) per channel; z_hat = symbol + median.
        var zSymbols = new int[z.Data.Length];
        var zIndexes = ChannelIndexes(z);
        for (int i = 0; i < zSymbols.Length; i++)
            zSymbols[i] = RoundToInt(z.Data[i] - tables.ZMedians[zIndexes[i]]);
        byte[] zStream = RansEncoder.Encode(zSymbols, zIndexes, tables.ZTables);
        var zHat = Dequantize(zSymbols, zIndexes, tables.ZMedians, z.Channels, z.Height, z.Width);

        // y: table index from the predicted scale, symbol = round(y - mean), y_hat = symbol + mean.
        var (scales, means) = networks.HyperSynthesize(role, zHat, yh, yw);
        var yIndexes = new int[y.Data.Length];
        ComputeIndexes(tables, entropyPath, zSymbols, z.Height, z.Width, scales, yIndexes);
        var ySymbols = new int[y.Data.Length];
        for (int i = 0; i < ySymbols.Length; i++)
            ySymbols[i] = RoundToInt(y.Data[i] - means.Data[i]);
        byte[] yStream = RansEncoder.Encode(ySymbols, yIndexes, tables.YTables);

        if (!reconstruct) return (new CodedLatents(zStream, yStream), null);
        var yHat = AddMeans(ySymbols, means);
        var reconstruction = TiledSynthesis.Synthesize(networks, role, yHat, image.Width, image.Height, tiling, addTo, cancellationToken);
        return (new CodedLatents(zStream, yStream), reconstruction);
    }

    /// <summary>
    /// Decodes the strings of an image of the given size (added into <paramref name="addTo"/> when given); throws
    /// <see cref="CompassFormatException"/> on a damaged string, restated by <paramref name="location"/> (layer and absolute byte).
    /// </summary>
    public static PlanarImage Decode(ICompassNetworks networks, CodecRole role, ReadOnlySpan<byte> zStream, ReadOnlySpan<byte> yStream, int width, int height, byte entropyPath,
        TilingPolicy tiling, PayloadLocation location, PlanarImage? addTo = null, CancellationToken cancellationToken = default)
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
        ComputeIndexes(tables, entropyPath, zSymbols, zh, zw, scales, yIndexes);
        var ySymbols = new int[yIndexes.Length];
        try
        {
            RansDecoder.Decode(yStream, yIndexes, tables.YTables, ySymbols);
        }
        catch (CompassFormatException ex)
        {
            throw location.Restate(ex, isY: true, yStream.Length);
        }
        var yHat = AddMeans(ySymbols, means);
        return TiledSynthesis.Synthesize(networks, role, yHat, width, height, tiling, addTo, cancellationToken);
    }

    /// <summary>
    /// The y table indexes. Path 2 derives them from the integer z symbols in fixed point, so every machine
    /// agrees; path 1 from the provider's float scales (only safe where those floats are reproduced exactly).
    /// </summary>
    private static void ComputeIndexes(CodecTables tables, byte entropyPath, int[] zSymbols, int zh, int zw, LatentTensor scales, int[] yIndexes)
    {
        if (entropyPath == Bitstream.BitstreamFormat.FixedPointEntropyPath)
        {
            var hyperScales = tables.HyperScales
                ?? throw new CompassFormatException(CompassFormatErrorKind.ModelMismatch, "The stream uses the fixed-point entropy path (2), but this model bundle has no fixed-point hyper-synthesis (hs_scales.fxp).");
            hyperScales.ComputeIndexes(zSymbols, tables.ZMedians, zh, zw, scales.Height, scales.Width, yIndexes);
        }
        else
        {
            tables.ScaleIndexer.GetIndexes(scales.Data, yIndexes);
        }
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

    private static LatentTensor AddMeans(int[] symbols, LatentTensor means)
    {
        var data = new float[symbols.Length];
        for (int i = 0; i < data.Length; i++) data[i] = symbols[i] + means.Data[i];
        return new LatentTensor(means.Channels, means.Height, means.Width, data);
    }

    /// <summary>Round half to even, as torch.round does; saturates instead of overflowing on absurd values.</summary>
    private static int RoundToInt(float value)
    {
        double r = Math.Round((double)value, MidpointRounding.ToEven);
        if (double.IsNaN(r)) throw new InvalidOperationException("The network produced NaN; the model is broken or the input is invalid.");
        return r >= int.MaxValue ? int.MaxValue : r <= int.MinValue ? int.MinValue : (int)r;
    }
}
