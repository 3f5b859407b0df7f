using Compass.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Compass.Training.Tests.Data;

internal static class TestImages
{
    /// <summary>Writes a PNG (or JPEG by extension) whose pixel (x, y) is a pure function of (x, y, id).</summary>
    public static string Write(string path, int width, int height, int id)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = Pixel(x, y, id);
        image.Save(path);
        return path;
    }

    public static Rgb24 Pixel(int x, int y, int id) => new((byte)(x * 7 + id * 40), (byte)(y * 5 + id * 13), (byte)((x + y) * 3 + id * 70));

    /// <summary>A folder with <paramref name="count"/> small images in two subfolders.</summary>
    public static TempDir Folder(int count, int width = 40, int height = 36)
    {
        var folder = new TempDir();
        for (int i = 0; i < count; i++)
            Write(folder.Combine($"{(i % 2 == 0 ? "a" : "b/c")}/img{i:D2}.png"), width, height, i);
        return folder;
    }
}

/// <summary>An ILogger that records messages.</summary>
internal sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
{
    public List<(Microsoft.Extensions.Logging.LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries) Entries.Add((logLevel, formatter(state, exception)));
    }
}

/// <summary>Tests that touch torch's process-wide state (generator, thread count) run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalState
{
    public const string Name = "Torch global state";
}

internal static class TensorAssert
{
    /// <summary>Same shape and bit-identical values.</summary>
    public static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();
}
