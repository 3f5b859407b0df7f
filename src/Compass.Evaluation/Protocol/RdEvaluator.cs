using System.Diagnostics;
using System.Globalization;
using Compass.ImageSharp;
using Compass.Imaging;

namespace Compass.Evaluation;

/// <summary>
/// Measures rate and distortion of real Compass streams, the COMPASS paper's way (docs/method.md#evaluation-protocol):
/// per image, model and layer configuration it encodes one scalable stream with <see cref="ScalableEncoder"/>,
/// decodes it with <see cref="ScalableDecoder"/>, and records every layer's bytes (headers included) and
/// PSNR against the original downscaled to that layer's size with the encoder's own Pillow-exact
/// <see cref="Resampler"/>. The baselines use the same code and the same model: single-layer (a one-layer
/// stream of the final size, i.e. the model's base codec used as a single-layer codec) and simulcast (a
/// one-layer stream of every layer's size, bits summed).
/// </summary>
/// <remarks>
/// One-layer results are cached by (model, quality, image, size) for the evaluator's lifetime, so simulcast
/// reuses the single-layer runs and a later setup reuses the earlier ones. Runs one stream at a time; an
/// instance is not thread-safe.
/// </remarks>
public sealed class RdEvaluator
{
    /// <summary>How sizes are rounded and what rate and quality mean; copied into every result file.</summary>
    public const string ProtocolText =
        "Layer k of an image of W x H is floor(W*s_k) x floor(H*s_k) (LayerPlan.FromScales), made directly from the original with " +
        "Pillow-exact antialiased bicubic; BL s = 0.25, two-layer final EL s = 0.25*r for r = 1.2..2.8, three-layer EL1 s = 0.5 and final EL " +
        "s = 0.25*r for r = 2.4..4.0, single s = 1. Rate: all bytes of all streams of the row (headers included) * 8 over the final layer's " +
        "pixels. Quality: PSNR (RGB, 8-bit, peak 255) of the decoded final layer against the original downscaled to its size. Mean points: " +
        "mean bpp and mean PSNR over the images. BD-rate: test vs reference, log-rate against PSNR over the common PSNR range (cubic: " +
        "least-squares cubic, VCEG-M33; pchip: piecewise cubic Hermite, JCT-VC CTC); negative = the test saves bits.";

    private readonly Dictionary<(CompassModel, Quality, string, LayerSize), OneLayerRun> _oneLayer = [];

    /// <summary>Number of one-layer streams actually encoded (not taken from the cache); for tests and logs.</summary>
    internal int OneLayerEncodes { get; private set; }

    /// <summary>Evaluates every model on every image for every setup.</summary>
    /// <param name="models">The rate points: one model (at one quality) each; names must be unique.</param>
    /// <param name="images">Image files (PNG, JPEG, ...), evaluated in this order.</param>
    /// <param name="setups">The setups to run, e.g. <see cref="EvaluationSetup.TwoLayer"/>.</param>
    /// <param name="note">A note stored in the results (e.g. "smoke example").</param>
    /// <param name="progress">Receives a report after each image of each setup and model.</param>
    /// <param name="cancellationToken">Cancels between and inside streams.</param>
    /// <exception cref="ArgumentException">No models, images or setups; duplicate model names; an image too small for a setup.</exception>
    /// <exception cref="CompassFormatException">An image cannot be read.</exception>
    public EvaluationResults Evaluate(IReadOnlyList<EvaluatedModel> models, IReadOnlyList<string> images, IReadOnlyList<EvaluationSetup> setups,
        string? note = null, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(setups);
        if (models.Count == 0) throw new ArgumentException("No models to evaluate.", nameof(models));
        if (images.Count == 0) throw new ArgumentException("No images to evaluate.", nameof(images));
        if (setups.Count == 0) throw new ArgumentException("No setups to evaluate.", nameof(setups));
        var duplicate = models.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two models are named '{duplicate.Key}'; names must be unique.", nameof(models));
        foreach (var m in models)
            if (!m.Model.IsAvailable(m.Quality))
                throw new ArgumentException($"Model '{m.Name}' has no quality {m.Quality} (available: {m.Model.DescribeQualities()}).", nameof(models));

        var coders = models.Select(m => new Coders(m, new ScalableEncoder(m.Model), new ScalableDecoder(m.Model))).ToList();
        var rows = setups.ToDictionary(s => s, _ => new List<ImageRow>());
        var seconds = setups.ToDictionary(s => s, _ => new double[models.Count]);
        var imageInfos = new List<ImageInfo>(images.Count);

        for (int i = 0; i < images.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string path = images[i], name = Path.GetFileName(path);
            var image = ImageSharpLoader.LoadPixels(path);
            imageInfos.Add(new ImageInfo(name, image.Width, image.Height));
            using var truths = new GroundTruth(image);
            foreach (var setup in setups)
            {
                for (int m = 0; m < coders.Count; m++)
                {
                    var watch = Stopwatch.StartNew();
                    var added = EvaluateImage(coders[m], setup, path, name, image, truths, cancellationToken);
                    watch.Stop();
                    rows[setup].AddRange(added);
                    seconds[setup][m] += watch.Elapsed.TotalSeconds;
                    progress?.Report(new EvaluationProgress(setup.Name, coders[m].Model.Name, i, images.Count, name, watch.Elapsed, Summarize(added)));
                }
            }
        }

        var modelInfos = coders.Select(c => new ModelInfo(c.Model.Name, c.Model.Quality.Value, c.Identity,
            c.Model.Description ?? c.Model.Model.Description, c.Model.Card)).ToList();
        var setupResults = setups.Select(s => ResultsBuilder.Build(s, models, rows[s],
            [.. models.Select((m, k) => new ModelTiming(m.Name, m.Quality.Value, images.Count, Math.Round(seconds[s][k], 3)))])).ToList();
        return new EvaluationResults
        {
            Note = note,
            BitstreamVersion = Bitstream.BitstreamFormat.Version,
            Created = DateTimeOffset.UtcNow,
            Protocol = ProtocolText,
            Models = modelInfos,
            Images = imageInfos,
            Setups = setupResults,
        };
    }

    private List<ImageRow> EvaluateImage(Coders coders, EvaluationSetup setup, string path, string name, PixelBuffer image,
        GroundTruth truths, CancellationToken cancellationToken)
    {
        var rows = new List<ImageRow>();
        foreach (var configuration in setup.Configurations)
        {
            var plan = configuration.PlanFor(image.Width, image.Height);
            if (setup.IsScalable)
            {
                rows.Add(Scalable(coders, name, configuration.Label, image, plan, truths, cancellationToken));
                rows.Add(Simulcast(coders, path, name, configuration.Label, image, plan, truths, cancellationToken));
            }
            var single = OneLayer(coders, path, image, plan.Final, truths, cancellationToken);
            rows.Add(Row(coders.Model, name, configuration.Label, Curves.SingleLayer, plan.Final, [single]));
        }
        return rows;
    }

    private static ImageRow Scalable(Coders coders, string name, string label, PixelBuffer image, LayerPlan plan, GroundTruth truths,
        CancellationToken cancellationToken)
    {
        var (bytes, encoded, encodeMs) = Encode(coders, image, plan, cancellationToken);
        var watch = Stopwatch.StartNew();
        using var decoded = coders.Decoder.Decode(bytes, options: null, cancellationToken);
        double decodeMs = watch.Elapsed.TotalMilliseconds;
        coders.Identity ??= decoded.Header.ModelId.ToString();

        long finalPixels = plan.Final.Pixels, previous = 0;
        var layers = new List<LayerRow>(plan.Count);
        for (int k = 0; k < plan.Count; k++)
        {
            var size = plan[k];
            long accumulated = encoded.Layers[k].AccumulatedBytes;
            if (decoded.Layers[k].AccumulatedBytes != accumulated)
                throw new InvalidOperationException($"Layer {k}: the encoder counted {accumulated} bytes up to it, the decoder read {decoded.Layers[k].AccumulatedBytes}.");
            double psnr = ImageMetrics.Psnr(decoded.Layers[k].Pixels, truths.Get(size));
            layers.Add(new LayerRow(k, size.Width, size.Height, accumulated - previous, accumulated, accumulated * 8,
                accumulated * 8.0 / finalPixels, accumulated * 8.0 / size.Pixels, psnr));
            previous = accumulated;
        }
        return new ImageRow(name, coders.Model.Name, coders.Model.Quality.Value, label, Curves.Compass, plan.ToString(), bytes.Length,
            bytes.Length * 8.0 / finalPixels, layers[^1].Psnr, encodeMs, decodeMs, layers);
    }

    private ImageRow Simulcast(Coders coders, string path, string name, string label, PixelBuffer image, LayerPlan plan, GroundTruth truths,
        CancellationToken cancellationToken)
    {
        var runs = plan.Layers.Select(size => OneLayer(coders, path, image, size, truths, cancellationToken)).ToList();
        return Row(coders.Model, name, label, Curves.Simulcast, plan.Final, runs);
    }

    // A row made of one-layer streams (simulcast: one per layer; single-layer: one), bits summed.
    private static ImageRow Row(EvaluatedModel model, string name, string label, string curve, LayerSize final, IReadOnlyList<OneLayerRun> runs)
    {
        long accumulated = 0;
        var layers = new List<LayerRow>(runs.Count);
        for (int k = 0; k < runs.Count; k++)
        {
            var run = runs[k];
            accumulated += run.Bytes;
            layers.Add(new LayerRow(k, run.Size.Width, run.Size.Height, run.Bytes, accumulated, accumulated * 8,
                accumulated * 8.0 / final.Pixels, accumulated * 8.0 / run.Size.Pixels, run.Psnr));
        }
        return new ImageRow(name, model.Name, model.Quality.Value, label, curve, string.Join(",", runs.Select(r => r.Size.ToString())), accumulated,
            accumulated * 8.0 / final.Pixels, runs[^1].Psnr, runs.Sum(r => r.FreshEncodeMs), runs.Sum(r => r.FreshDecodeMs), layers);
    }

    // One-layer stream of the image downscaled to `size`: cached per (model, quality, image, size). A cached
    // run reports zero time, so row times add up to the time actually spent.
    private OneLayerRun OneLayer(Coders coders, string path, PixelBuffer image, LayerSize size, GroundTruth truths, CancellationToken cancellationToken)
    {
        var key = (coders.Model.Model, coders.Model.Quality, Path.GetFullPath(path), size);
        if (_oneLayer.TryGetValue(key, out var cached)) return cached with { FreshEncodeMs = 0, FreshDecodeMs = 0 };

        var plan = LayerPlan.FromSizes(size);
        var (bytes, _, encodeMs) = Encode(coders, image, plan, cancellationToken);
        var watch = Stopwatch.StartNew();
        using var decoded = coders.Decoder.Decode(bytes, options: null, cancellationToken);
        double decodeMs = watch.Elapsed.TotalMilliseconds;
        coders.Identity ??= decoded.Header.ModelId.ToString();
        var run = new OneLayerRun(size, bytes.Length, ImageMetrics.Psnr(decoded.Layers[0].Pixels, truths.Get(size)), encodeMs, decodeMs);
        OneLayerEncodes++;
        _oneLayer[key] = run;
        return run;
    }

    private static (byte[] Bytes, EncodeResult Result, double Milliseconds) Encode(Coders coders, PixelBuffer image, LayerPlan plan,
        CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var buffer = new MemoryStream();
        var result = coders.Encoder.Encode(image, plan, buffer, new EncodeOptions { Quality = coders.Model.Quality }, progress: null, cancellationToken);
        double ms = watch.Elapsed.TotalMilliseconds;
        byte[] bytes = buffer.ToArray();
        // The protocol counts every byte of the stream: the per-layer accounting must add up to its length.
        if (result.TotalBytes != bytes.Length || result.Layers[^1].AccumulatedBytes != bytes.Length)
            throw new InvalidOperationException($"The encoder reported {result.TotalBytes} bytes for a stream of {bytes.Length}.");
        return (bytes, result, ms);
    }

    private static string Summarize(IReadOnlyList<ImageRow> rows)
    {
        var main = rows.Where(r => r.Curve == Curves.Compass).ToList();
        if (main.Count == 0) main = [.. rows.Where(r => r.Curve == Curves.SingleLayer)];
        return string.Join("  ", main.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Configuration} {r.Bpp:0.000} bpp {r.Psnr:0.00} dB")));
    }

    private sealed record OneLayerRun(LayerSize Size, long Bytes, double Psnr, double FreshEncodeMs, double FreshDecodeMs);

    private sealed class Coders(EvaluatedModel model, ScalableEncoder encoder, ScalableDecoder decoder)
    {
        public EvaluatedModel Model { get; } = model;
        public ScalableEncoder Encoder { get; } = encoder;
        public ScalableDecoder Decoder { get; } = decoder;
        public string? Identity { get; set; }
    }

    /// <summary>The original downscaled to each size asked for, made once per image with the encoder's resampler.</summary>
    private sealed class GroundTruth(PixelBuffer original) : IDisposable
    {
        private readonly Dictionary<LayerSize, PixelBuffer> _images = [];

        public PixelBuffer Get(LayerSize size)
        {
            if (!_images.TryGetValue(size, out var image))
            {
                // A copy in RGB when the size does not change, as the encoder makes its layer images.
                image = Resampler.ResizeBicubic(original, size.Width, size.Height);
                _images[size] = image;
            }
            return image;
        }

        public void Dispose()
        {
            _images.Clear();
        }
    }
}
