using System.Diagnostics.CodeAnalysis;
namespace Compass.Pipeline;

/// <summary>A channels x height x width float tensor in planar (CHW) order: a latent (y, z) or a hyper output.</summary>
[Experimental(ExperimentalApis.Backend)]
public sealed class LatentTensor
{
    /// <summary>A zero-filled tensor of the given shape.</summary>
    /// <param name="channels">Number of channels (at least 1).</param>
    /// <param name="height">Height (at least 1).</param>
    /// <param name="width">Width (at least 1).</param>
    public LatentTensor(int channels, int height, int width)
        : this(channels, height, width, new float[checked(channels * height * width)]) { }

    /// <summary>A tensor over existing values (not copied), in CHW order.</summary>
    /// <param name="channels">Number of channels (at least 1).</param>
    /// <param name="height">Height (at least 1).</param>
    /// <param name="width">Width (at least 1).</param>
    /// <param name="data">Exactly <c>channels * height * width</c> values.</param>
    /// <exception cref="ArgumentException"><paramref name="data"/> has another length.</exception>
    public LatentTensor(int channels, int height, int width, float[] data)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length != channels * height * width)
            throw new ArgumentException($"Expected {channels}x{height}x{width} = {channels * height * width} values, got {data.Length}.", nameof(data));
        Channels = channels;
        Height = height;
        Width = width;
        Data = data;
    }

    /// <summary>Number of channels.</summary>
    public int Channels { get; }

    /// <summary>Height of each plane.</summary>
    public int Height { get; }

    /// <summary>Width of each plane.</summary>
    public int Width { get; }

    /// <summary>Values per channel plane (<c>Height * Width</c>).</summary>
    public int PlaneLength => Height * Width;

    /// <summary>The values, channel after channel, each plane row by row.</summary>
    public float[] Data { get; }

    /// <summary>The values of one channel.</summary>
    /// <param name="channel">The channel, 0-based.</param>
    public Span<float> GetPlane(int channel) => Data.AsSpan(channel * PlaneLength, PlaneLength);

    /// <summary>The shape, e.g. <c>192x8x12</c>.</summary>
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
