using System.Diagnostics;
using System.Runtime.CompilerServices;
using Compass.Bitstream;
using Compass.Imaging;
using Compass.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Compass;

/// <summary>
/// Decodes Compass streams: the header alone (<see cref="ReadInfoAsync"/>), the first k layers
/// (<see cref="DecodeAsync"/>), or layer by layer while bytes arrive (<see cref="DecodeProgressivelyAsync"/>).
/// Every size, pad and crop decision is derived from the header, never from encoder state.
/// </summary>
/// <remarks>A decoder holds no per-call state: one instance can serve many threads at once. Malformed,
/// truncated or corrupted streams, and streams made by another model bundle, throw
/// <see cref="CompassFormatException"/>.</remarks>
public sealed class ScalableDecoder
{
    private readonly CompassModel _model;
    private readonly ILogger _logger;

    /// <summary>Creates a decoder over a model set; it must be the model set the streams were encoded with.</summary>
    /// <param name="model">The networks; the decoder does not own or dispose it.</param>
    /// <param name="logger">Optional logger (truncation warnings, per-layer timings at Debug level).</param>
    public ScalableDecoder(CompassModel model, ILogger<ScalableDecoder>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Reads only the stream's header: plan, quality and model identity. Needs no model.</summary>
    /// <param name="input">The stream, positioned at its start.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="CompassFormatException">The header is malformed, truncated or of an unknown version.</exception>
    public static async Task<BitstreamHeader> ReadInfoAsync(Stream input, CancellationToken cancellationToken = default)
    {
        await using var reader = new BitstreamReader(input, leaveOpen: true);
        return await reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Decodes the stream's bytes (all layers, or as many as <see cref="DecodeOptions.MaxLayers"/> says).</summary>
    /// <param name="stream">The whole stream.</param>
    /// <param name="options">Layer count, truncation policy and limits; null for defaults.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    /// <returns>The decoded layers; see <see cref="DecodeAsync"/> for what a problem after the header gives.</returns>
    /// <exception cref="CompassFormatException">As <see cref="DecodeAsync"/>.</exception>
    public DecodeResult Decode(ReadOnlyMemory<byte> stream, DecodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var input = new MemoryStream(stream.ToArray(), writable: false);
        return DecodeAsync(input, options, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>Decodes layers 0..k-1 from <paramref name="input"/> (k = <see cref="DecodeOptions.MaxLayers"/> or all).</summary>
    /// <param name="input">The stream; read sequentially, never sought.</param>
    /// <param name="options">Layer count, truncation policy and limits; null for defaults.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    /// <returns>The decoded layers. With <see cref="DecodeOptions.KeepLayersOnError"/>, a problem after the header
    /// does not throw: the result holds the layers decoded before it (layers 0..k-1 when layer k failed) and the problem
    /// in <see cref="DecodeResult.Error"/>.</returns>
    /// <exception cref="CompassFormatException">The stream is malformed, corrupted, made by another model, or
    /// truncated while <see cref="DecodeOptions.AllowTruncation"/> is false. Layers decoded before the problem are
    /// released; set <see cref="DecodeOptions.KeepLayersOnError"/> to get them instead.</exception>
    public async Task<DecodeResult> DecodeAsync(Stream input, DecodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DecodeOptions();
        var layers = new List<DecodedLayer>();
        BitstreamHeader? header = null;
        try
        {
            await foreach (var layer in DecodeCoreAsync(input, options, h => header = h, keepLayers: true, cancellationToken).ConfigureAwait(false))
                layers.Add(layer);
            return new DecodeResult(header!, layers, error: null);
        }
        catch (CompassFormatException ex) when (options.AllowTruncation && header is not null && IsTruncation(ex))
        {
            _logger.LogWarning("The stream is truncated: decoded {Count} of {Total} layers. {Message}", layers.Count, header.Plan.Count, ex.Message);
            return new DecodeResult(header, layers, ex);
        }
        catch (CompassFormatException ex) when (options.KeepLayersOnError && header is not null)
        {
            _logger.LogWarning("Decoding stopped after {Count} of {Total} layers. {Message}", layers.Count, header.Plan.Count, ex.Message);
            return new DecodeResult(header, layers, ex);
        }
        catch
        {
            foreach (var layer in layers) layer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Decodes layer by layer while bytes arrive: each layer is yielded as soon as its chunk has been read
    /// and decoded, so a client can show the base layer long before the stream is complete. A truncated
    /// stream yields its complete layers and then throws <see cref="CompassFormatException"/>
    /// (or simply ends, when <see cref="DecodeOptions.AllowTruncation"/> is true).
    /// </summary>
    /// <param name="input">The stream (a network stream, a pipe, a file...); read sequentially.</param>
    /// <param name="options">Layer count, truncation policy and limits; null for defaults.</param>
    /// <param name="cancellationToken">Cancels between and inside layers.</param>
    public async IAsyncEnumerable<DecodedLayer> DecodeProgressivelyAsync(Stream input, DecodeOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new DecodeOptions();
        BitstreamHeader? header = null;
        await using var enumerator = DecodeCoreAsync(input, options, h => header = h, keepLayers: false, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            DecodedLayer layer;
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false)) yield break;
                layer = enumerator.Current;
            }
            catch (CompassFormatException ex) when (options.AllowTruncation && header is not null && IsTruncation(ex))
            {
                _logger.LogWarning("The stream is truncated after the layers already returned. {Message}", ex.Message);
                yield break;
            }
            yield return layer;
        }
    }

    /// <summary>
    /// An upper estimate of the peak memory (bytes, whole process) of decoding the stream that <paramref name="header"/>
    /// describes: what <see cref="DecodeOptions.MaxMemoryBytes"/> is compared with. <see cref="DecodeAsync"/> keeps every
    /// layer it returns, <see cref="DecodeProgressivelyAsync"/> only the previous one (<paramref name="keepLayers"/>).
    /// </summary>
    /// <param name="header">The stream's header (<see cref="ReadInfoAsync"/>).</param>
    /// <param name="options">How many layers are decoded; null for all.</param>
    /// <param name="keepLayers">True for a whole-stream decode (<see cref="DecodeAsync"/>), false for a progressive one.</param>
    /// <exception cref="CompassFormatException">The stream's quality is not in this model set.</exception>
    public long EstimateMemory(BitstreamHeader header, DecodeOptions? options = null, bool keepLayers = true)
    {
        ArgumentNullException.ThrowIfNull(header);
        var networks = Networks(header);
        int hidden = Math.Max(networks.GetTables(CodecRole.Base).ZChannels, networks.GetTables(CodecRole.Residual).ZChannels);
        return WorkingMemory.ForDecode(header.Plan, options?.MaxLayers ?? header.Plan.Count, hidden, TilingPolicy.Default, keepLayers);
    }

    private ICompassNetworks Networks(BitstreamHeader header)
    {
        foreach (var rate in header.LayerRates)
        {
            if (!_model.IsAvailable(rate.Quality))
                throw new CompassFormatException(CompassFormatErrorKind.ModelMismatch, $"The stream was coded at quality {rate.Quality}, which this model does not provide (available: {_model.DescribeQualities()}).");
        }
        // A single-rate set has one set of networks per level: a stream mixing levels cannot come from one of its bundles.
        if (_model.Rate is null && header.LayerRates.Any(r => r.Quality != header.Quality))
            throw new CompassFormatException(CompassFormatErrorKind.ModelMismatch, $"The stream's layers have qualities {header.DescribeQualities()}; this single-rate model set codes a stream at one quality.");
        return _model.NetworksFor(header.Quality);
    }

    private async IAsyncEnumerable<DecodedLayer> DecodeCoreAsync(Stream input, DecodeOptions options, Action<BitstreamHeader> onHeader,
        bool keepLayers, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (options.MaxLayers is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxLayers, "MaxLayers must be at least 1.");

        await using var reader = new BitstreamReader(input, options.Limits, leaveOpen: true);
        var header = await reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        var networks = Networks(header);
        header.EnsureModel(networks.ModelId);
        onHeader(header);

        int count = Math.Min(header.Plan.Count, options.MaxLayers ?? int.MaxValue);
        WorkingMemory.EnsureWithin(EstimateMemory(header, options, keepLayers), options.MaxMemoryBytes,
            $"Decoding {count} layer{(count == 1 ? "" : "s")} up to {header.Plan[count - 1]}", "DecodeOptions.MaxMemoryBytes");
        PlanarImage? previous = null;
        for (int k = 0; k < count; k++)
        {
            var payload = await reader.ReadLayerAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new CompassFormatException(CompassFormatErrorKind.Truncated, $"The stream ended before layer {k} of {header.Plan.Count}.", reader.Position);
            var watch = Stopwatch.StartNew();
            var size = header.Plan[k];
            var tiling = TilingPolicy.Default.WithProgress(options.TileProgress is { } tiles ? new TileProgressSink(tiles, k, count) : null);
            var reconstruction = await LayerChain.DecodeLayerAsync(networks, k, payload.ZStream, payload.YStream,
                size.Width, size.Height, previous, header.EntropyPathVersion, header.LayerRates[k].StepQ16, cancellationToken, tiling, payloadOffset: payload.StreamOffset).ConfigureAwait(false);
            watch.Stop();
            _logger.LogDebug("Decoded layer {Layer}/{Count} {Size} in {Ms:F0} ms", k, header.Plan.Count, size, watch.Elapsed.TotalMilliseconds);
            previous = reconstruction;
            byte[]? alpha = payload.AlphaStream.IsEmpty ? null
                : AlphaPlaneCodec.Decode(payload.AlphaStream.Span, size.Width, size.Height, k, (payload.StreamOffset ?? 0) + BitstreamFormat.ZLengthSize + payload.ZStream.Length + BitstreamFormat.ZLengthSize);
            yield return new DecodedLayer(k, header.Plan.Count, size, reconstruction, reader.Position, watch.Elapsed,
                header.Flags.HasFlag(BitstreamFlags.Grayscale), alpha, reader.Metadata);
        }
        // A full decode also proves the stream ends where the plan says (no trailing garbage).
        if (count == header.Plan.Count && await reader.ReadLayerAsync(cancellationToken).ConfigureAwait(false) is not null)
            throw new CompassFormatException(CompassFormatErrorKind.TrailingData, $"The stream holds more layers than its plan's {count}.", reader.Position);
    }

    private static bool IsTruncation(CompassFormatException ex) => ex.IsTruncation;
}
