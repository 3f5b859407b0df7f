using System.Text.Json;
using System.Text.Json.Serialization;

namespace Compass.Evaluation;

/// <summary>
/// The results of one evaluation run (schema <c>compass-eval/1</c>, documented in docs/evaluation.md):
/// the models, the images, and per setup the per-image per-layer rows, the mean RD points and the BD-rate table.
/// Every number is computed by <see cref="RdEvaluator"/>; none is edited by hand.
/// </summary>
public sealed record EvaluationResults
{
    /// <summary>The schema identifier, <c>compass-eval/1</c>.</summary>
    [JsonPropertyOrder(-2)]
    public string Schema { get; init; } = SchemaId;

    /// <summary>The current schema identifier.</summary>
    public const string SchemaId = "compass-eval/1";

    /// <summary>A free note about the run (e.g. "smoke example: 3 images"); null when none.</summary>
    [JsonPropertyOrder(-1)]
    public string? Note { get; init; }

    /// <summary>
    /// The bitstream format version of the measured streams (<see cref="Bitstream.BitstreamFormat.Version"/> when measured;
    /// null in files written before the field existed, which measured version-1 streams). Stream sizes depend on it.
    /// </summary>
    public int? BitstreamVersion { get; init; }

    /// <summary>When the run finished (UTC).</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>The protocol's measurement rules in words (rate, quality, rounding), for readers of the file.</summary>
    public required string Protocol { get; init; }

    /// <summary>The models, one rate point each.</summary>
    public required IReadOnlyList<ModelInfo> Models { get; init; }

    /// <summary>The images, in evaluation order.</summary>
    public required IReadOnlyList<ImageInfo> Images { get; init; }

    /// <summary>One entry per setup that was run.</summary>
    public required IReadOnlyList<SetupResults> Setups { get; init; }
}

/// <summary>A model as recorded in the results.</summary>
/// <param name="Name">Its unique name (rows refer to it).</param>
/// <param name="Quality">The quality coded (a multiple of 1/256; whole numbers are ladder levels).</param>
/// <param name="Identity">The model identity written in its streams (hex), read back from a stream header.</param>
/// <param name="Description">Its description.</param>
/// <param name="Card">The bundle's model card, when known.</param>
public sealed record ModelInfo(string Name, double Quality, string? Identity, string Description, JsonElement? Card);

/// <summary>An evaluated image.</summary>
/// <param name="Name">File name.</param>
/// <param name="Width">Original width.</param>
/// <param name="Height">Original height.</param>
public sealed record ImageInfo(string Name, int Width, int Height);

/// <summary>Everything measured for one setup.</summary>
/// <param name="Name">The setup's name (<c>two-layer</c>, <c>three-layer</c>, <c>single</c>).</param>
/// <param name="LayerCount">Layers per COMPASS stream.</param>
/// <param name="Configurations">The layer configurations (table columns).</param>
/// <param name="Rows">Per image, model, configuration and curve: the streams' per-layer costs and PSNR.</param>
/// <param name="Means">Mean RD point (mean bpp, mean PSNR over the images) per configuration, curve and model.</param>
/// <param name="BdRates">BD-rate per configuration, comparison and method (or why it is not available).</param>
/// <param name="Timings">Wall time spent per model on this setup (cached single-layer runs count where first made).</param>
public sealed record SetupResults(string Name, int LayerCount, IReadOnlyList<EvaluationConfiguration> Configurations,
    IReadOnlyList<ImageRow> Rows, IReadOnlyList<MeanPoint> Means, IReadOnlyList<BdRateEntry> BdRates, IReadOnlyList<ModelTiming> Timings);

/// <summary>
/// One image coded one way: the COMPASS stream of a configuration, its simulcast streams, or its
/// single-layer stream. <see cref="Bpp"/> and <see cref="Psnr"/> are the curve's point for this image.
/// </summary>
/// <param name="Image">Image file name.</param>
/// <param name="Model">Model name.</param>
/// <param name="Quality">The quality coded (a multiple of 1/256).</param>
/// <param name="Configuration">Configuration label (e.g. <c>1.2x</c>).</param>
/// <param name="Curve"><c>compass</c>, <c>simulcast</c> or <c>single-layer</c> (see <see cref="Curves"/>).</param>
/// <param name="Plan">The layer sizes coded (for simulcast: the sizes of its one-layer streams).</param>
/// <param name="TotalBytes">All bytes of all streams of the row, headers included.</param>
/// <param name="Bpp">Rate: <see cref="TotalBytes"/> * 8 over the final layer's pixels.</param>
/// <param name="Psnr">PSNR (RGB, 8-bit) of the final layer against its downscaled ground truth.</param>
/// <param name="EncodeMs">Encode time of the row's streams (0 for results taken from the cache).</param>
/// <param name="DecodeMs">Decode time of the row's streams (0 for results taken from the cache).</param>
/// <param name="Layers">Per layer: size, bytes, accumulated bits, bpp and PSNR.</param>
public sealed record ImageRow(string Image, string Model, double Quality, string Configuration, string Curve, string Plan, long TotalBytes,
    double Bpp, double Psnr, double EncodeMs, double DecodeMs, IReadOnlyList<LayerRow> Layers);

/// <summary>
/// One layer of an <see cref="ImageRow"/>. For a COMPASS stream, <see cref="Bytes"/> is what the layer adds
/// to the stream (layer 0 carries the header), so the bytes of all layers add up to the stream's length;
/// for simulcast and single-layer rows it is the whole one-layer stream of that size.
/// </summary>
/// <param name="Index">Layer index (0 = base layer).</param>
/// <param name="Width">Layer width.</param>
/// <param name="Height">Layer height.</param>
/// <param name="Bytes">Bytes of this layer (see above).</param>
/// <param name="AccumulatedBytes">Bytes of layers 0..Index.</param>
/// <param name="AccumulatedBits">8 * <see cref="AccumulatedBytes"/>.</param>
/// <param name="Bpp"><see cref="AccumulatedBits"/> over the final layer's pixels (the protocol's rate).</param>
/// <param name="LayerBpp"><see cref="AccumulatedBits"/> over this layer's pixels (what a decoder stopping here pays per pixel).</param>
/// <param name="Psnr">PSNR (RGB, 8-bit) of this layer's decoded image against the original downscaled to its size.</param>
public sealed record LayerRow(int Index, int Width, int Height, long Bytes, long AccumulatedBytes, long AccumulatedBits, double Bpp, double LayerBpp, double Psnr);

/// <summary>The mean RD point of one curve at one configuration for one model.</summary>
/// <param name="Configuration">Configuration label.</param>
/// <param name="Curve">Curve name (see <see cref="Curves"/>).</param>
/// <param name="Model">Model name.</param>
/// <param name="Quality">The quality coded (a multiple of 1/256).</param>
/// <param name="Images">Number of images averaged.</param>
/// <param name="Bpp">Mean bpp over the images.</param>
/// <param name="Psnr">Mean PSNR over the images (dB).</param>
public sealed record MeanPoint(string Configuration, string Curve, string Model, double Quality, int Images, double Bpp, double Psnr);

/// <summary>One BD-rate cell: <see cref="Test"/> against <see cref="Reference"/> at one configuration.</summary>
/// <param name="Configuration">Configuration label.</param>
/// <param name="Test">The judged curve (e.g. <c>compass</c>).</param>
/// <param name="Reference">The anchor curve (e.g. <c>simulcast</c>, or a classic codec such as <c>JPEG 4:2:0</c>).</param>
/// <param name="Method"><c>cubic</c> or <c>pchip</c>.</param>
/// <param name="Percent">BD-rate in percent (negative: the test saves bits); null when not computable.</param>
/// <param name="Note">Why <see cref="Percent"/> is null, e.g. <c>n/a (needs 4 rate points, has 1)</c>.</param>
public sealed record BdRateEntry(string Configuration, string Test, string Reference, string Method, double? Percent, string? Note)
{
    /// <summary>The cell text: the value with one decimal and a sign, or the note.</summary>
    public string Text => Percent is { } p ? p.ToString("+0.0;-0.0;0.0", System.Globalization.CultureInfo.InvariantCulture) : Note ?? "n/a";
}

/// <summary>Wall time one model spent on one setup.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Quality">The quality coded (a multiple of 1/256).</param>
/// <param name="Images">Images evaluated.</param>
/// <param name="Seconds">Wall-clock seconds (encode, decode, resampling and metrics).</param>
public sealed record ModelTiming(string Model, double Quality, int Images, double Seconds);

/// <summary>The curve names used in rows, means and BD-rate entries.</summary>
public static class Curves
{
    /// <summary>The scalable COMPASS stream.</summary>
    public const string Compass = "compass";

    /// <summary>Every layer coded alone as a one-layer stream, bits summed.</summary>
    public const string Simulcast = "simulcast";

    /// <summary>The final layer alone as a one-layer stream (the base codec used as a single-layer codec).</summary>
    public const string SingleLayer = "single-layer";
}
