// Fetches from a Compass image server (samples/Serving/Server) only the bytes needed for a display size, decodes
// them on the CPU with the embedded default model and writes the layer as PNG (see ../README.md):
//
//   dotnet run --project samples/Serving/Client -- http://127.0.0.1:5080/images/photo.cmps 200x150 [-o thumb.png]
using System.Globalization;
using Compass;
using Compass.ImageSharp;
using Compass.Onnx;
using Compass.Samples.Serving;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length < 2 || !Uri.TryCreate(args[0], UriKind.Absolute, out var image) || !TryParseSize(args[1], out int width, out int height))
{
    Console.Error.WriteLine("usage: Client <image URL> <width>x<height> [-o out.png]");
    return 2;
}
string output = args.Length > 3 && args[2] == "-o" ? args[3] : "out.png";
try
{
    using var http = new HttpClient();
    var prefix = await new LayerFetcher(http).FetchAsync(image, width, height);
    foreach (var request in prefix.Requests)
    {
        Console.WriteLine($"GET {request.Uri.PathAndQuery} Range: {request.Range} -> {request.Status}, {request.BodyBytes} bytes");
    }
    using var model = OnnxCompassModel.LoadDefault(new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
    using var decoded = new ScalableDecoder(model).Decode(prefix.Bytes, new DecodeOptions { AllowTruncation = true });
    var layer = decoded.Layers[^1];
    await layer.SaveAsPngAsync(output);
    Console.WriteLine($"layer {layer.Index + 1} of {prefix.Header.Plan.Count} ({layer.Size}) for {width}x{height}: " +
                      $"fetched {prefix.BytesFetched} bytes, decoded {decoded.Layers.Count} layers -> {output}");
    return 0;
}
catch (Exception ex) when (ex is HttpRequestException or CompassFormatException or InvalidOperationException or IOException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

static bool TryParseSize(string text, out int width, out int height)
{
    width = height = 0;
    var parts = text.Split('x');
    return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out width)
        && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out height) && width > 0 && height > 0;
}
