using System.Diagnostics;
using Compass.Bitstream;
using Compass.Imaging;
using Compass.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Compass;

/// <summary>
/// Encodes an image into one scalable Compass stream holding every layer of a <see cref="LayerPlan"/>.
/// Each layer image is made directly from the input by antialiased bicubic downscaling (Pillow-exact);
/// layer 0 goes through the base codec, every later layer codes only the residual of the LIFF prediction
/// from the previous layer's reconstruction, exactly as <see cref="ScalableDecoder"/> will rebuild it.
/// </summary>
/// <remarks>An encoder holds no per-call state: one instance can serve many threads at once.</remarks>
public sealed class ScalableEncoder
{
    private readonly CompassModel _model;
    private readonly ILogger _logger;

    /// <summary>Creates an encoder over a model set (for example <c>OnnxCompassModel.LoadDefault()</c>).</summary>
    /// <param name="model">The networks; the encoder does not own or dispose it.</param>
    /// <param name="logger">Optional logger (per-layer timings at Debug level).</param>
    public ScalableEncoder(CompassModel model, ILogger<ScalableEncoder>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Encodes <paramref name="image"/> and returns the stream's bytes.</summary>
    /// <param name="image">The input pixels (alpha is ignored); their own size may be (and usually is) the last layer.
    /// The adapter packages add overloads for their image types (Compass.ImageSharp, Compass.SkiaSharp).</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the image.</param>
    /// <param name="options">Quality and limits; null for defaults.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    /// <exception cref="ArgumentException">The plan is empty or larger than the image, or the quality is unknown.</exception>
    /// <exception cref="CompassFormatException">The encode would need more memory than <see cref="EncodeOptions.MaxMemoryBytes"/>.</exception>
    public byte[] Encode(PixelBuffer image, LayerPlan plan, EncodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        Encode(image, plan, buffer, options, progress: null, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>Encodes <paramref name="image"/> into <paramref name="output"/>, layer by layer.</summary>
    /// <param name="image">The input image.</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the image.</param>
    /// <param name="output">Receives the stream; written sequentially, never sought.</param>
    /// <param name="options">Quality and limits; null for defaults.</param>
    /// <param name="progress">Optional per-layer progress.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    /// <returns>Per-layer sizes and costs.</returns>
    public EncodeResult Encode(PixelBuffer image, LayerPlan plan, Stream output, EncodeOptions? options = null,
        IProgress<LayerProgress>? progress = null, CancellationToken cancellationToken = default) =>
        EncodeCoreAsync(image, plan, output, options, progress, sync: true, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Encodes <paramref name="image"/> into <paramref name="output"/>, writing each layer as soon as it is coded.</summary>
    /// <inheritdoc cref="Encode(PixelBuffer, LayerPlan, Stream, EncodeOptions?, IProgress{LayerProgress}?, CancellationToken)"/>
    public Task<EncodeResult> EncodeAsync(PixelBuffer image, LayerPlan plan, Stream output, EncodeOptions? options = null,
        IProgress<LayerProgress>? progress = null, CancellationToken cancellationToken = default) =>
        EncodeCoreAsync(image, plan, output, options, progress, sync: false, cancellationToken);

    /// <summary>
    /// The reference image of every layer of <paramref name="plan"/>: <paramref name="image"/> downscaled with
    /// Pillow-exact antialiased bicubic. These are what the layers are coded against (and what PSNR compares to).
    /// </summary>
    /// <param name="image">The input image.</param>
    /// <param name="plan">The layer sizes; no layer may be larger than the image.</param>
    /// <returns>One <see cref="PixelLayout.Rgb24"/> image per layer (new buffers, never <paramref name="image"/> itself).</returns>
    public static IReadOnlyList<PixelBuffer> CreateLayerImages(PixelBuffer image, LayerPlan plan)
    {
        ArgumentNullException.ThrowIfNull(image);
        ValidatePlanAgainstImage(plan, image.Width, image.Height);
        // ResizeBicubic returns a new RGB buffer, a copy when the size does not change.
        return plan.Layers.Select(size => Resampler.ResizeBicubic(image, size.Width, size.Height)).ToList();
    }

    /// <summary>
    /// An upper estimate of the peak memory (bytes, whole process) of encoding a <paramref name="width"/> x <paramref name="height"/>
    /// image into <paramref name="plan"/>: what <see cref="EncodeOptions.MaxMemoryBytes"/> is compared with. Computed from the
    /// sizes and the model alone, in microseconds.
    /// </summary>
    /// <param name="plan">The layer sizes; no layer may be larger than the image.</param>
    /// <param name="width">Width of the input image.</param>
    /// <param name="height">Height of the input image.</param>
    /// <param name="options">The quality (its networks set the width of the network runs); null for defaults.</param>
    /// <exception cref="ArgumentException">The plan is empty or larger than the image, or the quality is unknown.</exception>
    public long EstimateMemory(LayerPlan plan, int width, int height, EncodeOptions? options = null)
    {
        options ??= new EncodeOptions();
        ValidatePlanAgainstImage(plan, width, height);
        return EstimateMemoryAt(plan, width, height, RateRequest.Resolve(_model, options, plan).NominalQuality(_model), options);
    }

    private long EstimateMemoryAt(LayerPlan plan, int width, int height, Quality quality, EncodeOptions options)
    {
        var networks = _model.NetworksFor(quality);
        int hidden = Math.Max(networks.GetTables(CodecRole.Base).ZChannels, networks.GetTables(CodecRole.Residual).ZChannels);
        return WorkingMemory.ForEncode(plan, width, height, hidden, TilingPolicy.Default, options.KeepReconstructions);
    }

    private async Task<EncodeResult> EncodeCoreAsync(PixelBuffer image, LayerPlan plan, Stream output, EncodeOptions? options,
        IProgress<LayerProgress>? progress, bool sync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new EncodeOptions();
        ValidatePlanAgainstImage(plan, image.Width, image.Height);
        var request = RateRequest.Resolve(_model, options, plan);
        var nominal = request.NominalQuality(_model);
        WorkingMemory.EnsureWithin(EstimateMemoryAt(plan, image.Width, image.Height, nominal, options), options.MaxMemoryBytes,
            $"Encoding a {image.Width}x{image.Height} image into {plan.Count} layer{(plan.Count == 1 ? "" : "s")} ({plan})", "EncodeOptions.MaxMemoryBytes");

        var networks = _model.NetworksFor(nominal);
        if (options.Alpha == AlphaMode.Flatten) image = AlphaChannel.FlattenOnWhite(image);
        var metadata = options.Metadata is { IsEmpty: false } m ? m : null;
        byte[][]? alphaPlanes = options.Alpha == AlphaMode.Keep ? CodeAlpha(image, plan) : null;
        var flags = (image.IsGrayscale() ? BitstreamFlags.Grayscale : BitstreamFlags.None)
            | (metadata is null ? BitstreamFlags.None : BitstreamFlags.Metadata)
            | (alphaPlanes is null ? BitstreamFlags.None : BitstreamFlags.Alpha);
        long metadataBytes = metadata is null ? 0 : MetadataChunkCodec.Encode(metadata).Length;
        // The encoder only reads its references, so a layer at the image's own size uses the image itself rather
        // than the copy CreateLayerImages hands to callers (3 bytes per pixel, 72 MB at 24 MP).
        var references = plan.Layers.Select(size => size.Width == image.Width && size.Height == image.Height && image.Layout == PixelLayout.Rgb24
            ? image : Resampler.ResizeBicubic(image, size.Width, size.Height)).ToList();
        var encoding = new LayerEncoding(_model, plan, references, options.KeepReconstructions, cancellationToken, options.TileProgress);
        var layers = new List<EncodedLayer>(plan.Count);
        var reconstructions = options.KeepReconstructions ? new List<PlanarImage>(plan.Count) : null;
        long accumulated = BitstreamFormat.HeaderSize(plan.Count) + metadataBytes;
        BitstreamWriter? writer = null;

        async ValueTask WriteAsync(int k, CodedLayer coded)
        {
            var payload = alphaPlanes is null ? coded.Payload
                : new LayerPayload(coded.Payload.ZStream, coded.Payload.YStream) { AlphaStream = alphaPlanes[k] };
            if (sync) writer!.WriteLayer(k, payload);
            else await writer!.WriteLayerAsync(k, payload, cancellationToken).ConfigureAwait(false);
            accumulated += BitstreamFormat.ChunkHeadSize + payload.Length;
            var layer = new EncodedLayer(k, plan[k], checked((int)payload.Length), accumulated, coded.Elapsed);
            layers.Add(layer);
            _logger.LogDebug("Encoded layer {Layer}/{Count} {Size} at {Rate}: {Bytes} bytes, {Bpp:F3} bpp accumulated, {Ms:F0} ms",
                k, plan.Count, plan[k], coded.Rate, layer.PayloadBytes, layer.BitsPerPixel, coded.Elapsed.TotalMilliseconds);
            progress?.Report(new LayerProgress(k, plan.Count, plan[k], coded.Elapsed));
            reconstructions?.Add(coded.Reconstruction!.Clone());
        }

        List<CodedLayer> coded;
        try
        {
            if (request.Qualities is { } qualities)
            {
                // Fixed qualities: the header is known up front, so each layer is written as soon as it is coded.
                var rates = qualities.Select((q, k) => encoding.RateOf(k, q)).ToArray();
                writer = new BitstreamWriter(output, new BitstreamHeader(networks.ModelId, plan, rates, networks.EntropyPath, flags), metadata, leaveOpen: true);
                coded = await encoding.EncodeAsync(qualities, WriteAsync, singlePass: true).ConfigureAwait(false);
            }
            else
            {
                // Rate control: the header records the qualities the search picks, so the stream is written after it.
                // The budgets cover the whole stream: leave room for the metadata chunk and the alpha planes, which the search does not code.
                coded = encoding.Search(Reserve(request.Budgets!, metadataBytes, alphaPlanes), request.SearchPerLayer);
                _logger.LogDebug("Rate control chose {Rates} in {Probes} probes", string.Join("; ", coded.Select(c => c.Rate)), encoding.Probes);
                writer = new BitstreamWriter(output, new BitstreamHeader(networks.ModelId, plan, [.. coded.Select(c => c.Rate)], networks.EntropyPath, flags), metadata, leaveOpen: true);
                for (int k = 0; k < coded.Count; k++) await WriteAsync(k, coded[k]).ConfigureAwait(false);
            }
            if (sync) writer.Complete();
            else await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (writer is not null) await writer.DisposeAsync().ConfigureAwait(false);
        }
        return new EncodeResult(plan, [.. coded.Select(c => c.Rate)], networks.ModelId, layers, accumulated, reconstructions);
    }

    // Each layer's alpha plane at the layer's size, coded losslessly; null when every pixel is opaque.
    private static byte[][]? CodeAlpha(PixelBuffer image, LayerPlan plan)
    {
        byte[]? alpha = AlphaChannel.Extract(image);
        if (alpha is null) return null;
        return [.. plan.Layers.Select(size =>
            AlphaPlaneCodec.Encode(AlphaChannel.Resize(alpha, image.Width, image.Height, size.Width, size.Height), size.Width, size.Height))];
    }

    private static List<long?> Reserve(IReadOnlyList<long?> budgets, long metadataBytes, byte[][]? alphaPlanes)
    {
        var result = new List<long?>(budgets.Count);
        long extra = metadataBytes;
        for (int k = 0; k < budgets.Count; k++)
        {
            extra += alphaPlanes is null ? 0 : BitstreamFormat.ZLengthSize + alphaPlanes[k].Length;
            result.Add(budgets[k] is long b ? b - extra : null);
        }
        return result;
    }

    private static void ValidatePlanAgainstImage(LayerPlan plan, int width, int height)
    {
        if (plan.Count == 0)
            throw new ArgumentException("The layer plan is empty.", nameof(plan));
        var final = plan.Final;
        if (final.Width > width || final.Height > height)
            throw new ArgumentException($"The plan's last layer {final} is larger than the {width}x{height} image; layers are made by downscaling the image.", nameof(plan));
    }
}
