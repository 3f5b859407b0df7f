namespace Compass.Pipeline;

/// <summary>A channels x height x width float tensor in planar (CHW) order: a latent (y, z) or a hyper output.</summary>
internal sealed class LatentTensor
{
    public LatentTensor(int channels, int height, int width)
        : this(channels, height, width, new float[checked(channels * height * width)]) { }

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

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int PlaneLength => Height * Width;
    public float[] Data { get; }

    public Span<float> GetPlane(int channel) => Data.AsSpan(channel * PlaneLength, PlaneLength);

    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
