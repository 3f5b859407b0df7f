using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Benchmarks.Profiling;

/// <summary>
/// <c>codec-time bundle.zip|default image rounds [intra]</c>: a one-layer stream at the image's own size (the base codec
/// alone, as CompressAI's <c>compress</c>/<c>decompress</c> code one image), encoded and decoded in process after one
/// warm-up of each; prints one JSON line per round (encode and decode wall and process CPU milliseconds, stream bytes, PSNR). The model is
/// loaded once on the CPU provider with <c>intra</c> intra-op threads (default 1) and the pipeline's other session
/// options (<c>COMPASS_BENCH_ARENA=1</c> turns the memory arena on). <c>benchmarks/compressai/run.sh</c> interleaves it with CompressAI.
/// </summary>
internal static class CodecTiming
{
    public static void Run(string[] args)
    {
        if (args.Length < 3) throw new ArgumentException("usage: codec-time <bundle.zip|default> <image> <rounds> [intra-op threads]");
        int rounds = int.Parse(args[2], CultureInfo.InvariantCulture);
        int intra = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
        // COMPASS_BENCH_ARENA=1: ONNX Runtime's memory arena and memory patterns on (off in the pipeline's defaults).
        bool arena = Environment.GetEnvironmentVariable("COMPASS_BENCH_ARENA") == "1";
        var options = new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = intra, InterOpThreads = 1, EnableMemoryArena = arena };
        var load = Stopwatch.StartNew();
        using var model = args[0] == "default" ? OnnxCompassModel.LoadDefault(options) : OnnxCompassModel.Load(args[0], options);
        double loadMs = load.Elapsed.TotalMilliseconds;
        using var image = Image.Load<Rgb24>(args[1]);
        var plan = LayerPlan.Parse(string.Create(CultureInfo.InvariantCulture, $"{image.Width}x{image.Height}"));
        var encoder = new ScalableEncoder(model);
        var decoder = new ScalableDecoder(model);
        var stream = encoder.Encode(image, plan);
        using (decoder.Decode(stream)) { }
        var original = image.ToPixelBuffer();
        var process = Process.GetCurrentProcess();
        for (int r = 0; r < rounds; r++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var w = Stopwatch.StartNew();
            stream = encoder.Encode(image, plan);
            double encodeMs = w.Elapsed.TotalMilliseconds;
            process.Refresh();
            var cpu1 = process.TotalProcessorTime;
            w.Restart();
            using var decoded = decoder.Decode(stream);
            double decodeMs = w.Elapsed.TotalMilliseconds;
            process.Refresh();
            var cpu2 = process.TotalProcessorTime;
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                tool = "compass",
                model = (args[0] == "default" ? "default" : Path.GetFileName(args[0])) + (arena ? "+arena" : ""),
                image = $"{image.Width}x{image.Height}",
                encode_ms = Math.Round(encodeMs, 1),
                decode_ms = Math.Round(decodeMs, 1),
                encode_cpu_ms = Math.Round((cpu1 - cpu0).TotalMilliseconds, 1),
                decode_cpu_ms = Math.Round((cpu2 - cpu1).TotalMilliseconds, 1),
                bytes = stream.Length,
                psnr = Math.Round(ImageMetrics.Psnr(decoded.Layers[^1].Pixels, original), 4),
                threads = intra,
                arena,
                load_ms = Math.Round(loadMs, 0),
            }));
        }
    }
}
