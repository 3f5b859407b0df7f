using Compass.Determinism;
using Compass.EntropyCoding;

namespace Compass.Core.Tests.Determinism;

/// <summary>
/// A seeded synthetic h_s scale branch (integer-derived float weights, so generation is exact everywhere),
/// its float32 reference forward pass (the float path a provider would run) and seeded z inputs.
/// </summary>
internal sealed class SyntheticHyperScales
{
    private SyntheticHyperScales(HyperScaleWeights weights, byte[] blob)
    {
        Weights = weights;
        Blob = blob;
        Model = FixedPointHyperScales.Load(blob);
    }

    public HyperScaleWeights Weights { get; }

    public byte[] Blob { get; }

    public FixedPointHyperScales Model { get; }

    public static SyntheticHyperScales Create(int n, int m, ulong seed)
    {
        var rng = new XorShift(seed);
        int mid = m * 3 / 2;
        float[] W(int count, int fanIn, double gain) => rng.Uniform(count, gain * Math.Sqrt(3.0 / fanIn));
        var weights = new HyperScaleWeights(
            n, m,
            W(m * n * 25, n * 25 / 4, 1.4), rng.Uniform(m, 0.1),
            W(mid * m * 25, m * 25 / 4, 1.4), rng.Uniform(mid, 0.1),
            W(m * mid * 9, mid * 9, 1.0), rng.Uniform(m, 0.5).Select(b => b + 1.5f).ToArray(),
            Enumerable.Repeat(-6.0, n).ToArray(), Enumerable.Repeat(6.0, n).ToArray());
        var blob = FixedPointQuantizer.Build(weights, GaussianTableBuilder.DefaultScaleTable(), ScaleTableIndexer.DefaultLowerBound);
        return new SyntheticHyperScales(weights, blob);
    }

    /// <summary>Seeded z symbols in [-4, 4] and medians with arbitrary fractions in [-1, 1].</summary>
    public (int[] Symbols, float[] Medians) Inputs(int zh, int zw, ulong seed)
    {
        var rng = new XorShift(seed);
        var symbols = new int[Weights.N * zh * zw];
        for (int i = 0; i < symbols.Length; i++) symbols[i] = (int)(rng.Next() % 9) - 4;
        return (symbols, rng.Uniform(Weights.N, 1.0));
    }

    /// <summary>The float32 scale branch of h_s on z_hat = symbol + median, with the fork's crops: [M, yh, yw].</summary>
    public float[] FloatScales(int[] symbols, float[] medians, int yh, int yw)
    {
        int n = Weights.N, m = Weights.M, mid = m * 3 / 2;
        var (zh, zw) = FixedPointHyperScales.ZSize(yh, yw);
        var z = new float[symbols.Length];
        for (int i = 0; i < z.Length; i++) z[i] = symbols[i] + medians[i / (zh * zw)];
        int h2 = (yh + 1) / 2, w2 = (yw + 1) / 2;
        var a = LeakyRelu(Crop(Deconv(z, n, zh, zw, Weights.Deconv0, Weights.Bias0, m), m, 2 * zh, 2 * zw, 2 * zh - h2, 2 * zw - w2));
        var b = LeakyRelu(Deconv(a, m, h2, w2, Weights.Deconv1, Weights.Bias1, mid));
        var c = Conv3x3(b, mid, 2 * h2, 2 * w2, Weights.Conv2, Weights.Bias2, m);
        return Crop(c, m, 2 * h2, 2 * w2, 2 * h2 - yh, 2 * w2 - yw);
    }

    private static float[] Deconv(float[] x, int cin, int h, int w, float[] wt, float[] bias, int cout)
    {
        var y = new float[cout * 4 * h * w];
        for (int o = 0; o < cout; o++)
        {
            for (int oy = 0; oy < 2 * h; oy++)
            {
                for (int ox = 0; ox < 2 * w; ox++)
                {
                    float sum = bias[o];
                    for (int c = 0; c < cin; c++)
                    {
                        for (int ky = 0; ky < 5; ky++)
                        {
                            int iy2 = oy + 2 - ky;
                            if (iy2 < 0 || (iy2 & 1) != 0 || iy2 / 2 >= h) continue;
                            for (int kx = 0; kx < 5; kx++)
                            {
                                int ix2 = ox + 2 - kx;
                                if (ix2 < 0 || (ix2 & 1) != 0 || ix2 / 2 >= w) continue;
                                sum += x[(c * h + iy2 / 2) * w + ix2 / 2] * wt[((o * cin + c) * 5 + ky) * 5 + kx];
                            }
                        }
                    }
                    y[(o * 2 * h + oy) * 2 * w + ox] = sum;
                }
            }
        }
        return y;
    }

    private static float[] Conv3x3(float[] x, int cin, int h, int w, float[] wt, float[] bias, int cout)
    {
        var y = new float[cout * h * w];
        for (int o = 0; o < cout; o++)
        {
            for (int oy = 0; oy < h; oy++)
            {
                for (int ox = 0; ox < w; ox++)
                {
                    float sum = bias[o];
                    for (int c = 0; c < cin; c++)
                    {
                        for (int ky = 0; ky < 3; ky++)
                        {
                            int iy = oy + ky - 1;
                            if (iy < 0 || iy >= h) continue;
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int ix = ox + kx - 1;
                                if (ix < 0 || ix >= w) continue;
                                sum += x[(c * h + iy) * w + ix] * wt[((o * cin + c) * 3 + ky) * 3 + kx];
                            }
                        }
                    }
                    y[(o * h + oy) * w + ox] = sum;
                }
            }
        }
        return y;
    }

    private static float[] Crop(float[] x, int c, int h, int w, int top, int left)
    {
        int oh = h - top, ow = w - left;
        var y = new float[c * oh * ow];
        for (int ch = 0; ch < c; ch++)
        {
            for (int r = 0; r < oh; r++)
                Array.Copy(x, (ch * h + r + top) * w + left, y, (ch * oh + r) * ow, ow);
        }
        return y;
    }

    private static float[] LeakyRelu(float[] x) => x.Select(v => v < 0 ? v * 0.01f : v).ToArray();

    /// <summary>xorshift64*: the same numbers on every runtime.</summary>
    internal sealed class XorShift(ulong seed)
    {
        private ulong _s = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

        public ulong Next()
        {
            _s ^= _s >> 12;
            _s ^= _s << 25;
            _s ^= _s >> 27;
            return _s * 0x2545F4914F6CDD1DUL;
        }

        /// <summary>Uniform in [-a, a] on a 2^-20 grid (exact float arithmetic).</summary>
        public float[] Uniform(int count, double a)
        {
            var r = new float[count];
            for (int i = 0; i < count; i++) r[i] = (float)(a * ((long)(Next() >> 43) - (1 << 20)) / (1 << 20));
            return r;
        }
    }
}
