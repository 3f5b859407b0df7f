using System.IO.Compression;

namespace Compass.Bitstream;

/// <summary>
/// Lossless coding of a layer's alpha plane (docs/bitstream.md, Alpha): one mode byte, then Brotli (RFC 7932, in the
/// .NET runtime) of either the plane itself (mode 0: best for hard cut-outs, runs of 0 and 255) or of its prediction
/// residuals (mode 1: each value predicted from its left, upper and upper-left neighbours by JPEG-LS's median edge
/// detector, the differences mod 256; best for soft gradients). The encoder keeps the smaller.
/// </summary>
internal static class AlphaPlaneCodec
{
    // Brotli quality 9, window 2^22: near the best ratio at a small fraction of quality 11's time.
    private const int Quality = 9;
    private const int Window = 22;
    private const byte RawMode = 0;
    private const byte PredictedMode = 1;

    /// <summary>The coded plane.</summary>
    /// <param name="alpha">width * height alpha values, row by row.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="height">Plane height.</param>
    public static byte[] Encode(ReadOnlySpan<byte> alpha, int width, int height)
    {
        if (alpha.Length != (long)width * height) throw new ArgumentException($"A {width}x{height} alpha plane has {(long)width * height} bytes, not {alpha.Length}.", nameof(alpha));
        byte[] residual = new byte[alpha.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = (y * width) + x;
                residual[i] = (byte)(alpha[i] - Predict(alpha, width, x, y));
            }
        }
        byte[] raw = Compress(alpha, RawMode);
        byte[] predicted = Compress(residual, PredictedMode);
        return predicted.Length < raw.Length ? predicted : raw;
    }

    private static byte[] Compress(ReadOnlySpan<byte> data, byte mode)
    {
        byte[] output = new byte[1 + BrotliEncoder.GetMaxCompressedLength(data.Length)];
        output[0] = mode;
        if (!BrotliEncoder.TryCompress(data, output.AsSpan(1), out int written, Quality, Window))
            throw new InvalidOperationException("Brotli could not compress the alpha plane.");
        return output[..(1 + written)];
    }

    /// <summary>The plane back from its coded bytes; exactly width * height values, or an error.</summary>
    /// <param name="data">The coded plane.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="layer">Layer index, for messages.</param>
    /// <param name="offset">Stream offset of <paramref name="data"/>, for messages.</param>
    /// <exception cref="CompassFormatException">The bytes are not Brotli data of exactly width * height bytes.</exception>
    public static byte[] Decode(ReadOnlySpan<byte> data, int width, int height, int layer, long offset)
    {
        if (data.Length < 1 || data[0] > PredictedMode)
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt, $"Layer {layer}: the alpha plane's mode is {(data.Length < 1 ? "missing" : data[0].ToString(System.Globalization.CultureInfo.InvariantCulture))} (0 raw, 1 predicted)", offset);
        // One byte more than the plane: decoding into it succeeding means the data holds too much.
        byte[] spill = new byte[((long)width * height) + 1];
        using var decoder = new BrotliDecoder();
        var status = decoder.Decompress(data[1..], spill, out int consumed, out int written);
        if (status != System.Buffers.OperationStatus.Done || consumed != data.Length - 1 || written != spill.Length - 1)
            throw new CompassFormatException(CompassFormatErrorKind.Corrupt,
                $"Layer {layer}: the alpha plane is not {width}x{height} bytes of Brotli data ({status}, {written} bytes decoded from {consumed} of {data.Length - 1})", offset + 1);
        byte[] plane = spill[..^1];
        if (data[0] == RawMode) return plane;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = (y * width) + x;
                plane[i] = (byte)(plane[i] + Predict(plane, width, x, y));
            }
        }
        return plane;
    }

    // JPEG-LS (ITU-T T.87) median edge detector: the smaller of left and up below a rising edge, the larger above a
    // falling one, else the plane through the three neighbours.
    private static int Predict(ReadOnlySpan<byte> plane, int width, int x, int y)
    {
        int i = (y * width) + x;
        int a = x > 0 ? plane[i - 1] : y > 0 ? plane[i - width] : 255;
        int b = y > 0 ? plane[i - width] : a;
        int c = x > 0 && y > 0 ? plane[i - width - 1] : b;
        int min = Math.Min(a, b), max = Math.Max(a, b);
        return c >= max ? min : c <= min ? max : a + b - c;
    }
}
