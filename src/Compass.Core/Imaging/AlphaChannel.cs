namespace Compass.Imaging;

/// <summary>What an encode does with an image's alpha channel (<see cref="EncodeOptions.Alpha"/>; the CLI's <c>--alpha</c>).</summary>
public enum AlphaMode
{
    /// <summary>Kept: each layer's alpha plane is coded losslessly at the layer's size (docs/bitstream.md, Alpha).</summary>
    Keep = 0,

    /// <summary>Dropped: the colour of transparent pixels is coded as it is, and the decoded image is opaque.</summary>
    Drop = 1,

    /// <summary>Flattened onto white: what a viewer shows on a white page, coded as an opaque image.</summary>
    Flatten = 2,
}

/// <summary>Alpha planes: taken from pixels, resized to a layer, flattened, attached back.</summary>
internal static class AlphaChannel
{
    /// <summary>The alpha plane of <paramref name="pixels"/> (width * height bytes), or null when every pixel is opaque.</summary>
    public static byte[]? Extract(PixelBuffer pixels)
    {
        if (!pixels.HasTransparency()) return null;
        byte[] plane = new byte[pixels.Width * pixels.Height];
        ReadOnlySpan<byte> data = pixels.Pixels;
        for (int i = 0; i < plane.Length; i++) plane[i] = data[(4 * i) + 3];
        return plane;
    }

    /// <summary>
    /// The plane at a layer's size, resized with the same Pillow-exact bicubic filter as the colours
    /// (<see cref="Resampler.ResizeBicubic(PixelBuffer, int, int)"/>), so edges stay aligned with them.
    /// </summary>
    public static byte[] Resize(byte[] plane, int width, int height, int toWidth, int toHeight)
    {
        if (width == toWidth && height == toHeight) return plane;
        var gray = new PixelBuffer(width, height);
        Span<byte> g = gray.Pixels;
        for (int i = 0; i < plane.Length; i++) g[3 * i] = g[(3 * i) + 1] = g[(3 * i) + 2] = plane[i];
        var resized = Resampler.ResizeBicubic(gray, toWidth, toHeight);
        byte[] result = new byte[toWidth * toHeight];
        ReadOnlySpan<byte> r = resized.Pixels;
        for (int i = 0; i < result.Length; i++) result[i] = r[3 * i];
        return result;
    }

    /// <summary>The image composited onto white (opaque RGB); an image without alpha is returned as it is.</summary>
    public static PixelBuffer FlattenOnWhite(PixelBuffer pixels)
    {
        if (pixels.BytesPerPixel != 4) return pixels;
        var result = new PixelBuffer(pixels.Width, pixels.Height);
        (int r, int g, int b) = PixelBuffer.ChannelOffsets(pixels.Layout);
        ReadOnlySpan<byte> src = pixels.Pixels;
        Span<byte> dst = result.Pixels;
        for (int s = 0, d = 0; s < src.Length; s += 4, d += 3)
        {
            int a = src[s + 3];
            // Straight alpha over white: c * a + 255 * (1 - a), rounded to nearest.
            dst[d] = (byte)(((src[s + r] * a) + (255 * (255 - a)) + 127) / 255);
            dst[d + 1] = (byte)(((src[s + g] * a) + (255 * (255 - a)) + 127) / 255);
            dst[d + 2] = (byte)(((src[s + b] * a) + (255 * (255 - a)) + 127) / 255);
        }
        return result;
    }

    /// <summary>RGB pixels with an alpha plane attached (<see cref="PixelLayout.Rgba32"/>).</summary>
    public static PixelBuffer Attach(PixelBuffer rgb, byte[] alpha)
    {
        var rgba = rgb.ConvertTo(PixelLayout.Rgba32);
        if (ReferenceEquals(rgba, rgb)) rgba = rgb.Clone();
        Span<byte> data = rgba.Pixels;
        for (int i = 0; i < alpha.Length; i++) data[(4 * i) + 3] = alpha[i];
        return rgba;
    }

    /// <summary>
    /// Gray pixels from a reconstruction: every channel set to its luma (ITU-R BT.601 weights, as JPEG), so a grayscale
    /// stream decodes with no tint whatever small differences the networks leave between the channels.
    /// </summary>
    public static PixelBuffer Luma(PlanarImage reconstruction)
    {
        var result = new PixelBuffer(reconstruction.Width, reconstruction.Height);
        ReadOnlySpan<float> r = reconstruction.GetPlane(0), g = reconstruction.GetPlane(1), b = reconstruction.GetPlane(2);
        Span<byte> dst = result.Pixels;
        for (int i = 0; i < r.Length; i++)
            dst[3 * i] = dst[(3 * i) + 1] = dst[(3 * i) + 2] = PlanarImage.Quantize((0.299f * r[i]) + (0.587f * g[i]) + (0.114f * b[i]));
        return result;
    }
}
