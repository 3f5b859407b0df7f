namespace Compass.Imaging;

/// <summary>How the channels of one pixel lie in a <see cref="PixelBuffer"/>: interleaved, 8 bits per channel.</summary>
public enum PixelLayout
{
    /// <summary>3 bytes per pixel: red, green, blue. What the codec decodes to.</summary>
    Rgb24 = 0,

    /// <summary>4 bytes per pixel: red, green, blue, alpha (coded when not all 255: <see cref="EncodeOptions.Alpha"/>).</summary>
    Rgba32 = 1,

    /// <summary>4 bytes per pixel: blue, green, red, alpha (coded when not all 255: <see cref="EncodeOptions.Alpha"/>).</summary>
    Bgra32 = 2,
}
