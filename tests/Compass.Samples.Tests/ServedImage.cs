using Compass.Bitstream;
using Compass.ImageSharp;
using Compass.Onnx;
using Compass.Samples.Serving;
using Microsoft.AspNetCore.Builder;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Compass.Samples.Tests;

/// <summary>
/// One real stream, served: a 256x192 crop of Kodak image 23 encoded by the embedded default model with the default
/// plan (three layers, 64x48, 128x96, 256x192), written to a temporary folder that the serving sample's server
/// serves on loopback Kestrel (port 0: any free port). Null <see cref="Model"/>: no default model is embedded.
/// </summary>
public sealed class ServedImage : IAsyncLifetime
{
    public const string Name = "kodim23.cmps";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "compass-serving-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;

    public OnnxCompassModel? Model { get; private set; }

    public string? SkipReason { get; private set; }

    public byte[] Stream { get; private set; } = [];

    public BitstreamSummary Summary { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public Uri ImageUri => new(BaseAddress, "/images/" + Name);

    public async Task InitializeAsync()
    {
        try
        {
            Model = OnnxCompassModel.LoadDefault(new OnnxRuntimeOptions { Provider = ExecutionProvider.Cpu });
        }
        catch (InvalidOperationException e)
        {
            SkipReason = $"no default model embedded: {e.Message}";
            return;
        }
        using (var image = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "kodim23.png")))
        {
            image.Mutate(x => x.Crop(new Rectangle(256, 128, 256, 192)));
            Stream = new ScalableEncoder(Model).Encode(image, LayerPlan.Default(image.Width, image.Height));
        }
        Summary = BitstreamInspector.Inspect(new MemoryStream(Stream));
        Directory.CreateDirectory(_folder);
        await File.WriteAllBytesAsync(Path.Combine(_folder, Name), Stream);
        await File.WriteAllBytesAsync(Path.Combine(_folder, "broken.cmps"), Stream[..^1]);

        // Port 0: any free loopback port; request logging off (it would fill the test output).
        _app = ImageServer.Create(_folder, ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Model?.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
