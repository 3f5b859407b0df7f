using Microsoft.Extensions.Logging;

namespace Compass.Onnx.Tests;

/// <summary>An ILogger that records what it is told.</summary>
internal sealed class RecordingLogger : ILogger
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}

/// <summary>The checked-in tiny model (written by Compass.Training's ONNX writer; guarded by a test there).</summary>
internal static class TinyModel
{
    /// <summary>x [1, 2, H, W] -> y0 = 2 x0 + 2 x1 + 0.5, y1 = 3 x0 - 0.25; relu = max(x, 0).</summary>
    public static byte[] Bytes { get; } = File.ReadAllBytes(System.IO.Path.Combine(AppContext.BaseDirectory, "Assets", "tiny_conv_add.onnx"));

    public static float[] Input(int h, int w, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, 2 * h * w).Select(_ => (float)((rng.NextDouble() * 4) - 2))];
    }

    public static float[] ExpectedY(float[] x, int h, int w)
    {
        var plane = h * w;
        var y = new float[2 * plane];
        for (var p = 0; p < plane; p++)
        {
            y[p] = (2 * x[p]) + (2 * x[plane + p]) + 0.5f;
            y[plane + p] = (3 * x[p]) - 0.25f;
        }

        return y;
    }

    public static void AssertClose(float[] expected, ReadOnlySpan<float> actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
