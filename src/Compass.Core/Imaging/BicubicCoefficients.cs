namespace Compass.Imaging;

/// <summary>
/// The filter taps of one axis of a bicubic resize, computed exactly as Pillow's
/// <c>precompute_coeffs</c> (libImaging/Resample.c; Pillow 9.4.0 and current Pillow agree) does, so that the
/// 8-bit path can reproduce <c>Image.resize(size, BICUBIC)</c> bit for bit.
/// </summary>
/// <remarks>
/// For output index i: center = (i + 0.5) * scale with scale = in / out; when downscaling the kernel
/// is stretched by the scale (support 2 * scale, taps evaluated at distance / scale) so it also
/// antialiases; when upscaling it is the plain a = -0.5 cubic (support 2). The tap range is
/// [(int)(center - support + 0.5), (int)(center + support + 0.5)) clipped to the input, and the taps
/// are divided by their sum. All arithmetic is in double, in Pillow's order of operations.
/// </remarks>
internal sealed class BicubicCoefficients
{
    /// <summary>Pillow's fixed-point precision for 8-bit images: 32 - 8 - 2 bits.</summary>
    public const int PrecisionBits = 32 - 8 - 2;

    private const double Support = 2.0;

    private BicubicCoefficients(int inSize, int outSize, int kernelSize, int[] start, int[] count, double[] weights)
    {
        InSize = inSize;
        OutSize = outSize;
        KernelSize = kernelSize;
        Start = start;
        Count = count;
        Weights = weights;
        FixedWeights = ToFixedPoint(weights);
        FloatWeights = Array.ConvertAll(weights, w => (float)w);
    }

    /// <summary>Input length along this axis.</summary>
    public int InSize { get; }

    /// <summary>Output length along this axis.</summary>
    public int OutSize { get; }

    /// <summary>Stride between the taps of consecutive outputs in the weight arrays.</summary>
    public int KernelSize { get; }

    /// <summary>First input index used by each output.</summary>
    public int[] Start { get; }

    /// <summary>Number of input samples used by each output (taps beyond it are zero).</summary>
    public int[] Count { get; }

    /// <summary>Normalised taps, <see cref="KernelSize"/> per output.</summary>
    public double[] Weights { get; }

    /// <summary>Taps in Pillow's fixed point: round-half-away of weight * 2^22.</summary>
    public int[] FixedWeights { get; }

    /// <summary>Taps as float32, for the float path.</summary>
    public float[] FloatWeights { get; }

    /// <summary>First input index any output reads.</summary>
    public int FirstUsed => Start[0];

    /// <summary>One past the last input index any output reads.</summary>
    public int EndUsed => Start[OutSize - 1] + Count[OutSize - 1];

    /// <summary>Computes the taps for resizing <paramref name="inSize"/> samples to <paramref name="outSize"/>.</summary>
    public static BicubicCoefficients Create(int inSize, int outSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outSize, 1);

        // Pillow passes the box edges as float; (float)inSize - 0f is exact for any realistic size.
        double scale = (double)(float)inSize / outSize;
        double filterScale = scale < 1.0 ? 1.0 : scale;
        double support = Support * filterScale;
        int kernelSize = (int)Math.Ceiling(support) * 2 + 1;
        if ((long)kernelSize * outSize > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(outSize), $"Resizing {inSize} to {outSize} needs too many filter taps.");

        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new double[outSize * kernelSize];
        double invFilterScale = 1.0 / filterScale;
        for (int i = 0; i < outSize; i++)
        {
            double center = 0.0 + (i + 0.5) * scale;
            // (int) truncates toward zero, as in C; negative values are clipped to 0 right after.
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;

            Span<double> k = weights.AsSpan(i * kernelSize, kernelSize);
            double sum = 0.0;
            for (int x = 0; x < xmax; x++)
            {
                double w = Cubic((x + xmin - center + 0.5) * invFilterScale);
                k[x] = w;
                sum += w;
            }
            if (sum != 0.0)
            {
                for (int x = 0; x < xmax; x++) k[x] /= sum;
            }
            start[i] = xmin;
            count[i] = xmax;
        }
        return new BicubicCoefficients(inSize, outSize, kernelSize, start, count, weights);
    }

    /// <summary>Keys' cubic convolution kernel with a = -0.5, in Pillow's order of operations.</summary>
    internal static double Cubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static int[] ToFixedPoint(double[] weights)
    {
        var result = new int[weights.Length];
        const double one = 1 << PrecisionBits;
        for (int i = 0; i < weights.Length; i++)
        {
            double w = weights[i];
            result[i] = w < 0 ? (int)(-0.5 + w * one) : (int)(0.5 + w * one);
        }
        return result;
    }
}
