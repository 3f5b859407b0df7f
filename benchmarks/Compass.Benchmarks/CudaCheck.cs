using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Compass.ImageSharp;
using Compass.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Benchmarks;

/// <summary>
/// The CPU-vs-CUDA check of the ONNX Runtime kit (build/gpu-ort-kit.sh, build/gpu-ort-run.sh), in two halves:
/// <list type="bullet">
/// <item><c>cuda-check run OUT [kodak-repeats] [uhd-repeats] [image]</c>, on the GPU machine: model load, encode and
/// decode times on each provider (contenders interleaved, medians), and the decode-anywhere streams: the Kodak image
/// encoded on the device provider (CUDA, or the CPU when CUDA cannot be set up, which it says) and on the CPU, each
/// decoded on both providers and compared there, the device decodes written as PNGs next to the streams, all in
/// <c>OUT/cuda-check.json</c>.</item>
/// <item><c>cuda-check verify OUT</c>, on any other machine: decodes every stream of that folder on this machine's CPU
/// and compares each layer with the PNG decoded on the device. Exit 0 when every stream decodes completely (the
/// entropy path: a table index that differed would desynchronise the rANS decode and end it with an error or
/// garbage) and every 8-bit value is within <see cref="ToleranceLevels"/> of the device's.</item>
/// </list>
/// </summary>
internal static class CudaCheck
{
    /// <summary>
    /// The documented bound of the float drift between providers on the 8-bit output (docs/determinism.md, "Drift"):
    /// the symbols are identical by construction and the float parts move far below one level, so a value moves by
    /// at most one level (those that sat at a .5 boundary).
    /// </summary>
    public const int ToleranceLevels = 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        if (args.Length >= 2 && args[0] == "run")
        {
            return Run(args[1],
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5,
                args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1,
                args.Length > 4 ? args[4] : BenchmarkImages.KodakPath());
        }
        if (args.Length == 2 && args[0] == "verify") return Verify(args[1]);
        Console.Error.WriteLine("usage: cuda-check run OUT [kodak-repeats=5] [uhd-repeats=1] [image] | cuda-check verify OUT");
        return 2;
    }

    private static int Run(string outDir, int kodakRepeats, int uhdRepeats, string imagePath)
    {
        Directory.CreateDirectory(outDir);
        var report = new JsonObject
        {
            ["machine"] = $"{Environment.MachineName}, {Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            ["image"] = Path.GetFileName(imagePath),
            ["plan"] = BenchmarkImages.KodakPlan,
            ["toleranceLevels"] = ToleranceLevels,
        };

        var load = Stopwatch.StartNew();
        using var cpu = OnnxCompassModel.LoadDefault(new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        double cpuLoadMs = load.Elapsed.TotalMilliseconds;
        OnnxCompassModel? cuda = null;
        double cudaLoadMs = 0;
        string? cudaProblem = null;
        load.Restart();
        try
        {
            cuda = OnnxCompassModel.LoadDefault(new OnnxRuntimeOptions { Provider = ExecutionProvider.Cuda });
            cudaLoadMs = load.Elapsed.TotalMilliseconds;
        }
        catch (NotSupportedException ex)
        {
            cudaProblem = ex.Message.Split('\n')[0].Trim();
        }
        report["cuda"] = cudaProblem is null ? "available" : "unavailable: " + cudaProblem;
        Console.WriteLine(cudaProblem is null
            ? "cuda-check: CUDA execution provider available; comparing CUDA with the CPU"
            : $"cuda-check: CUDA unavailable ({cudaProblem}); the CPU provider stands in for the device, so this run checks the kit, not CUDA");
        using var cudaModel = cuda;
        var models = new List<(string Name, OnnxCompassModel Model)> { ("cpu", cpu) };
        if (cuda is not null) models.Add(("cuda", cuda));
        report["loadMs"] = new JsonObject { ["cpu"] = Round(cpuLoadMs), ["cuda"] = cuda is null ? null : Round(cudaLoadMs) };
        var device = models[^1];

        using var image = Image.Load<Rgb24>(imagePath);
        var plan = LayerPlan.Parse(BenchmarkImages.KodakPlan);

        // Decode anywhere: a stream from each encoder, decoded by each provider.
        var streams = new JsonArray();
        foreach (var (encoderName, encoderModel) in models.DistinctBy(m => m.Name))
        {
            byte[] stream = new ScalableEncoder(encoderModel).Encode(image, plan);
            string file = $"kodak-encoded-{encoderName}.cmps";
            File.WriteAllBytes(Path.Combine(outDir, file), stream);
            var entry = new JsonObject { ["file"] = file, ["encodedOn"] = encoderName, ["bytes"] = stream.Length, ["sha256"] = Sha(stream) };
            using var onDevice = new ScalableDecoder(device.Model).Decode(stream);
            using var onCpu = new ScalableDecoder(cpu).Decode(stream);
            var layers = new JsonArray();
            for (int i = 0; i < onDevice.Layers.Count; i++)
            {
                var pixels = onDevice.Layers[i].Pixels;
                string png = $"kodak-encoded-{encoderName}.decoded-{device.Name}.layer{i}.png";
                using (var layerImage = onDevice.Layers[i].ToImage()) layerImage.SaveAsPng(Path.Combine(outDir, png));
                var layer = Compare(pixels.Pixels, i < onCpu.Layers.Count ? onCpu.Layers[i].Pixels.Pixels : []);
                layer["png"] = png;
                layer["sha256OnDevice"] = Sha(pixels.Pixels);
                layers.Add(layer);
            }
            entry["decodedOn"] = device.Name;
            entry["complete"] = onDevice.IsComplete && onCpu.IsComplete && onCpu.Layers.Count == onDevice.Layers.Count;
            entry["error"] = (onDevice.Error ?? onCpu.Error)?.Message;
            entry["layersDeviceVsCpu"] = layers;
            streams.Add(entry);
            Console.WriteLine($"cuda-check: {file} ({stream.Length} bytes), decoded on {device.Name} vs cpu: " +
                string.Join("; ", layers.Select(l => $"layer max {l!["maxLevels"]} level(s), {l["differing"]} values differ")));
        }
        report["streams"] = streams;

        // Timing: the providers interleaved in each round, medians.
        var timings = new JsonObject();
        Time(models, image, plan, kodakRepeats, "kodak " + BenchmarkImages.KodakPlan, timings);
        if (uhdRepeats > 0)
        {
            using var uhd = BenchmarkImages.CreateUhd();
            Time(models, uhd, LayerPlan.Parse(BenchmarkImages.UhdPlan), uhdRepeats, "uhd " + BenchmarkImages.UhdPlan, timings);
        }
        report["timingsMs"] = timings;

        bool ok = streams.All(s => (bool)s!["complete"]! && s["layersDeviceVsCpu"]!.AsArray().All(l => (int)l!["maxLevels"]! <= ToleranceLevels));
        report["deviceVsCpuWithinTolerance"] = ok;
        File.WriteAllText(Path.Combine(outDir, "cuda-check.json"), report.ToJsonString(Indented));
        Console.WriteLine($"cuda-check: {(ok ? "PASS" : "FAIL")}: every stream decodes completely on {device.Name} and cpu, layers within {ToleranceLevels} level(s): {ok}; report {Path.Combine(outDir, "cuda-check.json")}");
        return ok ? 0 : 1;
    }

    private static int Verify(string dir)
    {
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "cuda-check.json")))!;
        Console.WriteLine($"cuda-check verify: streams from {report["machine"]} (CUDA {report["cuda"]}), decoded here on the CPU");
        using var cpu = OnnxCompassModel.LoadDefault(new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        var results = new JsonArray();
        bool ok = true;
        foreach (var entry in report["streams"]!.AsArray())
        {
            byte[] stream = File.ReadAllBytes(Path.Combine(dir, (string)entry!["file"]!));
            if (Sha(stream) != (string)entry["sha256"]!) throw new InvalidDataException($"{entry["file"]} does not match the sha256 recorded with it.");
            using var here = new ScalableDecoder(cpu).Decode(stream);
            var device = entry["layersDeviceVsCpu"]!.AsArray();
            bool complete = here.IsComplete && here.Layers.Count == device.Count;
            var layers = new JsonArray();
            for (int i = 0; i < Math.Min(here.Layers.Count, device.Count); i++)
            {
                using var png = Image.Load<Rgb24>(Path.Combine(dir, (string)device[i]!["png"]!));
                var theirs = new byte[png.Width * png.Height * 3];
                png.CopyPixelDataTo(theirs);
                var layer = Compare(theirs, here.Layers[i].Pixels.Pixels);
                layers.Add(layer);
                ok &= (int)layer["maxLevels"]! <= ToleranceLevels;
            }
            ok &= complete;
            results.Add(new JsonObject { ["file"] = entry["file"]!.GetValue<string>(), ["complete"] = complete, ["error"] = here.Error?.Message, ["layersDeviceVsHere"] = layers });
            Console.WriteLine($"  {entry["file"]} (encoded on {entry["encodedOn"]}, decoded there on {entry["decodedOn"]}): complete here {complete}; " +
                string.Join("; ", layers.Select((l, i) => $"layer {i} max {l!["maxLevels"]} level(s), {l["differing"]} of {l["values"]} values differ, PSNR {l["psnrDb"]} dB")));
        }
        File.WriteAllText(Path.Combine(dir, "verify-here.json"), new JsonObject { ["ok"] = ok, ["streams"] = results }.ToJsonString(Indented));
        Console.WriteLine($"cuda-check verify: {(ok ? "PASS" : "FAIL")} (complete decodes, every value within {ToleranceLevels} level(s) of the device's)");
        return ok ? 0 : 1;
    }

    private static void Time(List<(string Name, OnnxCompassModel Model)> models, Image<Rgb24> image, LayerPlan plan, int repeats, string label, JsonObject into)
    {
        var encode = models.ToDictionary(m => m.Name, _ => new List<double>());
        var decode = models.ToDictionary(m => m.Name, _ => new List<double>());
        var streams = models.ToDictionary(m => m.Name, m => new ScalableEncoder(m.Model).Encode(image, plan)); // warm-up
        foreach (var (name, model) in models) new ScalableDecoder(model).Decode(streams[name]).Dispose();
        for (int r = 0; r < repeats; r++)
        {
            for (int k = 0; k < models.Count; k++)
            {
                var (name, model) = models[(k + r) % models.Count]; // alternate which provider goes first
                var w = Stopwatch.StartNew();
                new ScalableEncoder(model).Encode(image, plan);
                encode[name].Add(w.Elapsed.TotalMilliseconds);
                w.Restart();
                new ScalableDecoder(model).Decode(streams[name]).Dispose();
                decode[name].Add(w.Elapsed.TotalMilliseconds);
            }
        }
        var node = new JsonObject { ["repeats"] = repeats };
        foreach (var (name, _) in models)
            node[name] = new JsonObject { ["encodeMedian"] = Round(Median(encode[name])), ["decodeMedian"] = Round(Median(decode[name])), ["encode"] = Values(encode[name]), ["decode"] = Values(decode[name]) };
        into[label] = node;
        Console.WriteLine($"cuda-check: {label}, {repeats} rounds, medians: " +
            string.Join("; ", models.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Name} encode {Median(encode[m.Name]):F0} ms, decode {Median(decode[m.Name]):F0} ms"))));
    }

    // Max and count of differing 8-bit values, and the PSNR between the two decodes (both RGB24, same size).
    private static JsonObject Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length) return new JsonObject { ["values"] = a.Length, ["maxLevels"] = 255, ["differing"] = a.Length, ["psnrDb"] = 0, ["note"] = $"sizes differ: {a.Length} vs {b.Length} values" };
        int max = 0, differing = 0;
        double squared = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - b[i]);
            if (d == 0) continue;
            differing++;
            max = Math.Max(max, d);
            squared += d * d;
        }
        double psnr = squared == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 * a.Length / squared);
        return new JsonObject { ["values"] = a.Length, ["maxLevels"] = max, ["differing"] = differing, ["psnrDb"] = double.IsInfinity(psnr) ? "inf" : Math.Round(psnr, 2) };
    }

    private static string Sha(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static double Median(List<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static double Round(double ms) => Math.Round(ms, 1);

    private static JsonArray Values(List<double> values) => new([.. values.Select(v => (JsonNode?)Round(v))]);
}
