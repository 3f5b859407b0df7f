using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>
/// The COMPASS layer recursion (docs/method.md#enhancement-layers), shared by encoder and decoder so both reconstruct
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
    /// <summary>
    /// Encodes layer <paramref name="index"/> of <paramref name="target"/> at step <paramref name="stepQ16"/> / 65536; returns its
    /// strings and reconstruction (null when <paramref name="reconstruct"/> is false: the last layer's synthesis only serves
    /// callers that keep it). An enhancement layer overwrites <paramref name="target"/> with its residual.
    /// </summary>
    public static (CodedLatents Coded, PlanarImage? Reconstruction) EncodeLayer(
        ICompassNetworks networks, int index, PlanarImage target, PlanarImage? previous, byte entropyPath, int stepQ16, CancellationToken cancellationToken,
        bool reconstruct = true, TilingPolicy? tiling = null)
    {
        var layer = AnalyzeLayer(networks, index, target, previous, entropyPath, cancellationToken, reconstruct, tiling);
        var (coded, ySymbols) = layer.Latents.Quantize(stepQ16);
        return (coded, reconstruct ? layer.Reconstruct(ySymbols, stepQ16, cancellationToken) : null);
    }

    /// <summary>
    /// The step-independent part of encoding layer <paramref name="index"/>: the LIFF prediction (for an enhancement layer),
    /// the analysis of the layer or its residual, the z string and the hyper-synthesis. The result codes y at any step.
    /// An enhancement layer overwrites <paramref name="target"/> with its residual.
    /// </summary>
    public static AnalyzedLayer AnalyzeLayer(
        ICompassNetworks networks, int index, PlanarImage target, PlanarImage? previous, byte entropyPath, CancellationToken cancellationToken,
        bool reconstruct = true, TilingPolicy? tiling = null)
    {
        tiling ??= TilingPolicy.Default;
        if (index == 0 && TinyLayer.IsTiny(target.Width, target.Height))
            return new AnalyzedLayer(LatentCodec.Analyze(networks, CodecRole.Base, TinyLayer.Pad(target), entropyPath, tiling, cancellationToken), null, (target.Width, target.Height));
        if (index == 0)
            return new AnalyzedLayer(LatentCodec.Analyze(networks, CodecRole.Base, target, entropyPath, tiling, cancellationToken), null);

        ArgumentNullException.ThrowIfNull(previous);
        // The target becomes the residual in place. Without a reconstruction (the last layer) the prediction is
        // subtracted tile by tile and never held whole: each full-size float image is 12 bytes per pixel (288 MB at 24 MP).
        PlanarImage? prediction = null;
        if (reconstruct)
        {
            prediction = TiledPrediction.Predict(networks, previous, target.Width, target.Height, tiling, cancellationToken);
            SubtractInPlace(target, prediction);
        }
        else
        {
            TiledPrediction.SubtractFrom(networks, previous, target, tiling, cancellationToken);
        }
        var analyzed = LatentCodec.Analyze(networks, CodecRole.Residual, target, entropyPath, tiling, cancellationToken);
        return new AnalyzedLayer(analyzed, prediction);
    }

    /// <summary>
    /// Decodes layer <paramref name="index"/> of size <paramref name="width"/> x <paramref name="height"/>. A damaged rANS
    /// string throws <see cref="CompassFormatException"/> naming the layer and, when <paramref name="payloadOffset"/> (the
    /// offset of the layer's payload in the stream) is given, the absolute byte.
    /// </summary>
    public static PlanarImage DecodeLayer(
        ICompassNetworks networks, int index, ReadOnlySpan<byte> zStream, ReadOnlySpan<byte> yStream,
        int width, int height, PlanarImage? previous, byte entropyPath, int stepQ16, CancellationToken cancellationToken,
        TilingPolicy? tiling = null, long? payloadOffset = null)
    {
        tiling ??= TilingPolicy.Default;
        var location = new PayloadLocation(index, payloadOffset, zStream.Length);
        if (index == 0)
            return DecodeBase(networks, zStream, yStream, width, height, entropyPath, stepQ16, tiling, location, cancellationToken);

        ArgumentNullException.ThrowIfNull(previous);
        // The prediction needs only the previous layer, the residual only this layer's strings: run them at
        // once, so the single-threaded parts of each (rANS, data movement inside the graphs) overlap the other.
        var prediction = Task.Run(() => TiledPrediction.Predict(networks, previous, width, height, tiling, cancellationToken), cancellationToken);
        try
        {
            if (TiledSynthesis.IsSingleTile(height, width, tiling))
            {
                // One synthesis tile: a separate residual image costs little, and the synthesis overlaps the prediction.
                var residualHat = LatentCodec.Decode(networks, CodecRole.Residual, zStream, yStream, width, height, entropyPath, stepQ16, tiling, location, cancellationToken: cancellationToken);
                return AddInPlace(prediction.GetAwaiter().GetResult(), residualHat);
            }
            // Large layers: entropy-decode the residual's latents beside the prediction (rANS, h_s: small buffers), then
            // synthesise it into the prediction tile by tile (bounded memory: one network run at a time).
            var yHat = LatentCodec.DecodeLatents(networks, CodecRole.Residual, zStream, yStream, width, height, entropyPath, stepQ16, location);
            var predicted = prediction.GetAwaiter().GetResult();
            return TiledSynthesis.Synthesize(networks, CodecRole.Residual, yHat, width, height, tiling, predicted, cancellationToken);
        }
        catch
        {
            // Let the prediction finish before the caller unwinds; its own failure is secondary.
            try { prediction.Wait(CancellationToken.None); } catch (AggregateException) { }
            throw;
        }
    }

    /// <summary>
    /// As <see cref="DecodeLayer"/>, without blocking a thread while the LIFF prediction (which runs on the thread pool)
    /// finishes: the residual is decoded on the calling thread, then the prediction is awaited. Same result, bit for bit.
    /// </summary>
    public static async ValueTask<PlanarImage> DecodeLayerAsync(
        ICompassNetworks networks, int index, ReadOnlyMemory<byte> zStream, ReadOnlyMemory<byte> yStream,
        int width, int height, PlanarImage? previous, byte entropyPath, int stepQ16, CancellationToken cancellationToken,
        TilingPolicy? tiling = null, long? payloadOffset = null)
    {
        tiling ??= TilingPolicy.Default;
        var location = new PayloadLocation(index, payloadOffset, zStream.Length);
        if (index == 0)
            return DecodeBase(networks, zStream.Span, yStream.Span, width, height, entropyPath, stepQ16, tiling, location, cancellationToken);

        ArgumentNullException.ThrowIfNull(previous);
        var prediction = Task.Run(() => TiledPrediction.Predict(networks, previous, width, height, tiling, cancellationToken), cancellationToken);
        try
        {
            if (TiledSynthesis.IsSingleTile(height, width, tiling))
            {
                var residualHat = LatentCodec.Decode(networks, CodecRole.Residual, zStream.Span, yStream.Span, width, height, entropyPath, stepQ16, tiling, location, cancellationToken: cancellationToken);
                return AddInPlace(await prediction.ConfigureAwait(false), residualHat);
            }
            var yHat = LatentCodec.DecodeLatents(networks, CodecRole.Residual, zStream.Span, yStream.Span, width, height, entropyPath, stepQ16, location);
            var predicted = await prediction.ConfigureAwait(false);
            return TiledSynthesis.Synthesize(networks, CodecRole.Residual, yHat, width, height, tiling, predicted, cancellationToken);
        }
        catch
        {
            // Let the prediction finish before the caller unwinds; its own failure is secondary.
            await ((Task)prediction).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
    }

    // The base layer; a tiny one (under 16 px a side) is decoded at its coded size and cropped (TinyLayer).
    private static PlanarImage DecodeBase(
        ICompassNetworks networks, ReadOnlySpan<byte> zStream, ReadOnlySpan<byte> yStream, int width, int height, byte entropyPath, int stepQ16,
        TilingPolicy tiling, PayloadLocation location, CancellationToken cancellationToken)
    {
        var (codedWidth, codedHeight) = TinyLayer.CodedSize(width, height);
        var image = LatentCodec.Decode(networks, CodecRole.Base, zStream, yStream, codedWidth, codedHeight, entropyPath, stepQ16, tiling, location, cancellationToken: cancellationToken);
        return TinyLayer.IsTiny(width, height) ? TinyLayer.Crop(image, width, height) : image;
    }

    private static PlanarImage SubtractInPlace(PlanarImage target, PlanarImage subtrahend)
    {
        var t = target.Data;
        var s = subtrahend.Data;
        for (int i = 0; i < t.Length; i++) t[i] -= s[i];
        return target;
    }

    private static PlanarImage AddInPlace(PlanarImage target, PlanarImage addend)
    {
        var t = target.Data;
        var s = addend.Data;
        for (int i = 0; i < t.Length; i++) t[i] += s[i];
        return target;
    }
}

/// <summary>One layer analysed for coding (<see cref="LayerChain.AnalyzeLayer"/>): its latents and, for an enhancement layer, the prediction its residual is added to.</summary>
/// <remarks>A tiny base layer (<see cref="TinyLayer"/>) is analysed padded; <c>cropTo</c> is its own size, which its reconstruction is cropped to.</remarks>
internal sealed class AnalyzedLayer(AnalyzedLatents latents, PlanarImage? prediction, (int Width, int Height)? cropTo = null)
{
    /// <summary>The step-independent coding state of the layer (or its residual).</summary>
    public AnalyzedLatents Latents => latents;

    /// <summary>The layer's reconstruction from y symbols coded at <paramref name="stepQ16"/>: the decoder's, bit for bit.</summary>
    public PlanarImage Reconstruct(int[] ySymbols, int stepQ16, CancellationToken cancellationToken)
    {
        var image = latents.Reconstruct(ySymbols, stepQ16, prediction, cancellationToken);
        return cropTo is var (width, height) ? TinyLayer.Crop(image, width, height) : image;
    }
}
