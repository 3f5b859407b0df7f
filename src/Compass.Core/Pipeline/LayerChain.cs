using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>
/// The COMPASS layer recursion (METHOD.md section 3), shared by encoder and decoder so both reconstruct
/// identically: layer 0 through the base codec; layer k &gt; 0 predicted by LIFF from the previous layer's
/// unclamped reconstruction, the residual coded by the shared residual codec, and the reconstruction
/// <c>prediction + decoded residual</c>, not clamped before it feeds the next layer.
/// </summary>
/// <remarks>
/// Large layers run tile by tile (<see cref="TilingPolicy"/>): the prediction and the synthesis are computed in
/// bounded memory, and the decoded residual is added into the prediction tile by tile, so a layer holds one
/// full-size image (plus, when encoding, the target and the residual).
/// </remarks>
internal static class LayerChain
{
    /// <summary>Encodes layer <paramref name="index"/> of <paramref name="target"/>; returns its strings and reconstruction.</summary>
    public static (CodedLatents Coded, PlanarImage Reconstruction) EncodeLayer(
        ICompassNetworks networks, int index, PlanarImage target, PlanarImage? previous, byte entropyPath, CancellationToken cancellationToken,
        TilingPolicy? tiling = null)
    {
        tiling ??= TilingPolicy.Default;
        if (index == 0)
            return LatentCodec.Encode(networks, CodecRole.Base, target, entropyPath, tiling, cancellationToken: cancellationToken);

        ArgumentNullException.ThrowIfNull(previous);
        var prediction = TiledPrediction.Predict(networks, previous, target.Width, target.Height, tiling, cancellationToken);
        var residual = Subtract(target, prediction);
        return LatentCodec.Encode(networks, CodecRole.Residual, residual, entropyPath, tiling, addTo: prediction, cancellationToken);
    }

    /// <summary>Decodes layer <paramref name="index"/> of size <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static PlanarImage DecodeLayer(
        ICompassNetworks networks, int index, ReadOnlySpan<byte> zStream, ReadOnlySpan<byte> yStream,
        int width, int height, PlanarImage? previous, byte entropyPath, CancellationToken cancellationToken,
        TilingPolicy? tiling = null)
    {
        tiling ??= TilingPolicy.Default;
        if (index == 0)
            return LatentCodec.Decode(networks, CodecRole.Base, zStream, yStream, width, height, entropyPath, tiling, cancellationToken: cancellationToken);

        ArgumentNullException.ThrowIfNull(previous);
        var prediction = TiledPrediction.Predict(networks, previous, width, height, tiling, cancellationToken);
        return LatentCodec.Decode(networks, CodecRole.Residual, zStream, yStream, width, height, entropyPath, tiling, addTo: prediction, cancellationToken);
    }

    private static PlanarImage Subtract(PlanarImage a, PlanarImage b)
    {
        var data = new float[a.Data.Length];
        for (int i = 0; i < data.Length; i++) data[i] = a.Data[i] - b.Data[i];
        return new PlanarImage(a.Width, a.Height, data);
    }
}
