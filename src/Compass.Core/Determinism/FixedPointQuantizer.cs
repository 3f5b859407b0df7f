using System.Diagnostics.CodeAnalysis;

namespace Compass.Determinism;

/// <summary>The float weights of the h_s scale branch, in the layout the quantiser reads.</summary>
/// <param name="N">Channels of z.</param>
/// <param name="M">Channels of y (even).</param>
/// <param name="Deconv0">h_s.0 weights [M][N][5][5] (out, in: PyTorch's ConvTranspose2d layout transposed).</param>
/// <param name="Bias0">h_s.0 bias [M].</param>
/// <param name="Deconv1">h_s.2 weights [3M/2][M][5][5] (out, in).</param>
/// <param name="Bias1">h_s.2 bias [3M/2].</param>
/// <param name="Conv2">The scale half of h_s.4: [M][3M/2][3][3].</param>
/// <param name="Bias2">The scale half of h_s.4's bias [M].</param>
/// <param name="ZLower">Per z channel: lower end of the range z_hat is expected in (e.g. the lower quantile).</param>
/// <param name="ZUpper">Per z channel: upper end.</param>
[Experimental(ExperimentalApis.Backend)]
public sealed record HyperScaleWeights(int N, int M, float[] Deconv0, float[] Bias0, float[] Deconv1, float[] Bias1, float[] Conv2, float[] Bias2, double[] ZLower, double[] ZUpper);

/// <summary>
/// Quantises float h_s weights into the <c>hs_scales.fxp</c> blob. Activations are int16 with one
/// power-of-two scale per tensor, chosen from a calibration run capped by a sound interval bound of the layer output for z in
/// [ZLower - 1, ZUpper + 1] (values beyond saturate, deterministically); weights are int16 with a power-of-two
/// scale per output channel, the largest for which no accumulator can leave int32 for ANY input (the bound
/// <see cref="FixedPointHyperScales.Load"/> re-checks).
/// </summary>
[Experimental(ExperimentalApis.Backend)]
public static class FixedPointQuantizer
{
    /// <summary>LeakyReLU(0.01) as 5243 / 2^19 = 0.0100002.</summary>
    internal const int LeakyMultiplier = 5243;
    internal const int LeakyShift = 19;
    private const double LeakySlope = 0.01;

    /// <summary>
    /// Activations saturate at +-(2^ActivationBits - 1). Fewer bits than int16 leave the int32 accumulator
    /// bound room for more precise weights (weight rounding dominates the error at 15 bits).
    /// </summary>
    internal const int ActivationBits = 13;
    private const int ActivationMax = (1 << ActivationBits) - 1;

    /// <summary>Quantises the weights into an <c>hs_scales.fxp</c> blob (the bundle file <see cref="FixedPointHyperScales.BundleFileName"/>).</summary>
    /// <param name="w">The float weights and z ranges.</param>
    /// <param name="scaleTable">The codec's scale table (ascending), which the blob indexes into.</param>
    /// <param name="lowerBound">The lower bound applied to the scales before indexing.</param>
    /// <exception cref="InvalidOperationException">The weights are too large to quantise.</exception>
    public static byte[] Build(HyperScaleWeights w, ReadOnlySpan<float> scaleTable, float lowerBound)
    {
        int n = w.N, m = w.M, mid = m * 3 / 2;
        var layers = new[]
        {
            new FloatLayer(FixedPointFormat.KindDeconv5x5Stride2, n, m, w.Deconv0, w.Bias0, true),
            new FloatLayer(FixedPointFormat.KindDeconv5x5Stride2, m, mid, w.Deconv1, w.Bias1, true),
            new FloatLayer(FixedPointFormat.KindConv3x3, mid, m, w.Conv2, w.Bias2, false),
        };
        foreach (var l in layers) l.Check();
        if (w.ZLower.Length != n || w.ZUpper.Length != n) throw new ArgumentException("One z range per channel is needed.", nameof(w));

        var lo = new double[n];
        var hi = new double[n];
        double zMax = 1;
        for (int c = 0; c < n; c++)
        {
            lo[c] = w.ZLower[c] - 1;
            hi[c] = w.ZUpper[c] + 1;
            zMax = Math.Max(zMax, Math.Max(Math.Abs(lo[c]), Math.Abs(hi[c])));
        }
        int inBits = Math.Clamp(FractionBitsFor(zMax), 0, 15);

        using var ms = new MemoryStream();
        using (var bw = new BinaryWriter(ms))
        {
            bw.Write(FixedPointFormat.Magic);
            bw.Write(FixedPointFormat.Version);
            bw.Write((ushort)0);
            bw.Write(n);
            bw.Write(m);
            bw.Write(inBits);
            bw.Write(ActivationBits);
            bw.Write(LeakyMultiplier);
            bw.Write(LeakyShift);
            bw.Write(scaleTable.Length);
            foreach (float s in scaleTable) bw.Write(s);
            bw.Write(lowerBound);
            var samples = CalibrationInputs(lo, hi);
            foreach (var layer in layers)
            {
                (lo, hi) = layer.Interval(lo, hi);
                double range = 1e-9;
                for (int o = 0; o < layer.Out; o++) range = Math.Max(range, Math.Max(Math.Abs(lo[o]), Math.Abs(hi[o])));
                double observed = 1e-9;
                for (int i = 0; i < samples.Length; i++)
                {
                    samples[i] = layer.Forward(samples[i], CalibrationSize << Array.IndexOf(layers, layer));
                    observed = Math.Max(observed, samples[i].Max(Math.Abs));
                }
                WriteLayer(bw, layer, ref inBits, Math.Min(range, CalibrationHeadroom * observed));
            }
        }
        return ms.ToArray();
    }

    // Quantises one layer given its input fraction bits; on return inBits holds the output's fraction bits.
    private static void WriteLayer(BinaryWriter w, FloatLayer layer, ref int inBits, double range)
    {
        int outBits = layer.Leaky ? Math.Clamp(FractionBitsFor(range), 0, FixedPointFormat.MaxFractionBits) : 0;

        var accBits = new int[layer.Out];
        var bias = new int[layer.Out];
        var weights = new short[layer.Weights.Length];
        int per = layer.In * layer.KernelArea;
        for (int o = 0; o < layer.Out; o++)
        {
            int wBits = FixedPointFormat.MaxFractionBits - inBits;
            while (!TryQuantise(layer, o, wBits, inBits, weights.AsSpan(o * per, per), out bias[o]))
            {
                wBits--;
                if (inBits + wBits < 0) throw new InvalidOperationException($"h_s weights of output channel {o} are too large to quantise.");
            }
            accBits[o] = inBits + wBits;
        }
        if (layer.Leaky) outBits = Math.Min(outBits, accBits.Min());

        w.Write(layer.Kind);
        w.Write(layer.Leaky ? (byte)1 : (byte)0);
        w.Write((ushort)0);
        w.Write(layer.In);
        w.Write(layer.Out);
        w.Write(outBits);
        foreach (int b in accBits) w.Write(b);
        foreach (int b in bias) w.Write(b);
        foreach (short x in weights) w.Write(x);
        inBits = outBits;
    }

    // Round the weights at 2^wBits and the bias at 2^(inBits + wBits); accept when no weight saturates and
    // every phase's worst case |sum| over inputs in [-ActivationMax, ActivationMax] plus |bias| fits in int32.
    private static bool TryQuantise(FloatLayer layer, int o, int wBits, int inBits, Span<short> wq, out int biasQ)
    {
        biasQ = 0;
        int per = layer.In * layer.KernelArea;
        for (int i = 0; i < per; i++)
        {
            double v = Math.Round(Math.ScaleB(layer.Weights[o * per + i], wBits), MidpointRounding.ToEven);
            if (Math.Abs(v) > FixedPointFormat.WeightMax) return false;
            wq[i] = (short)v;
        }
        double b = Math.Round(Math.ScaleB(layer.Bias[o], inBits + wBits), MidpointRounding.ToEven);
        if (Math.Abs(b) > int.MaxValue) return false;
        biasQ = (int)b;
        foreach (var phase in layer.PhaseKernels)
        {
            long sum = 0;
            for (int c = 0; c < layer.In; c++)
            {
                foreach (int k in phase) sum += Math.Abs((int)wq[c * layer.KernelArea + k]);
            }
            if (sum * ActivationMax + Math.Abs((long)biasQ) > int.MaxValue) return false;
        }
        return true;
    }

    // Calibration: z drawn uniformly from each channel's whole range (far wider than real z, whose values sit
    // near the median), run through the float layers; the activation scale covers CalibrationHeadroom times the
    // largest value seen (capped by the sound interval bound). Rarer, larger values saturate deterministically.
    private const int CalibrationSize = 4;
    private const int CalibrationSamples = 8;
    private const double CalibrationHeadroom = 2;

    private static double[][] CalibrationInputs(double[] lo, double[] hi)
    {
        ulong s = 0x9E3779B97F4A7C15UL;
        int plane = CalibrationSize * CalibrationSize;
        var samples = new double[CalibrationSamples][];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = new double[lo.Length * plane];
            for (int j = 0; j < samples[i].Length; j++)
            {
                s ^= s >> 12;
                s ^= s << 25;
                s ^= s >> 27;
                double u = ((s * 0x2545F4914F6CDD1DUL) >> 11) * (1.0 / (1UL << 53));
                int c = j / plane;
                samples[i][j] = lo[c] + u * (hi[c] - lo[c]);
            }
        }
        return samples;
    }

    /// <summary>The most fraction bits with which values up to <paramref name="range"/> fit in +-32767.</summary>
    private static int FractionBitsFor(double range) => (int)Math.Floor(Math.Log2(ActivationMax / range));

    private sealed class FloatLayer(byte kind, int inCh, int outCh, float[] weights, float[] bias, bool leaky)
    {
        public byte Kind => kind;

        public int In => inCh;

        public int Out => outCh;

        public float[] Weights => weights;

        public float[] Bias => bias;

        public bool Leaky => leaky;

        public int KernelArea => kind == FixedPointFormat.KindDeconv5x5Stride2 ? 25 : 9;

        /// <summary>The kernel taps each output phase sums (4 parity classes for the stride-2 deconvolution).</summary>
        public int[][] PhaseKernels => kind == FixedPointFormat.KindDeconv5x5Stride2
            ? [.. from py in new[] { 0, 1 } from px in new[] { 0, 1 } select (from ky in Enumerable.Range(0, 5) where ky % 2 == py from kx in Enumerable.Range(0, 5) where kx % 2 == px select ky * 5 + kx).ToArray()]
            : [Enumerable.Range(0, 9).ToArray()];

        public void Check()
        {
            if (weights.Length != outCh * inCh * KernelArea || bias.Length != outCh)
                throw new ArgumentException($"A {inCh}->{outCh} layer needs {outCh * inCh * KernelArea} weights and {outCh} biases, got {weights.Length} and {bias.Length}.");
            if (weights.Any(v => !float.IsFinite(v)) || bias.Any(v => !float.IsFinite(v)))
                throw new ArgumentException("h_s weights must be finite.");
        }

        /// <summary>The float layer (with its activation) on a square input of side <paramref name="size"/>, no crops.</summary>
        public double[] Forward(double[] x, int size)
        {
            bool deconv = kind == FixedPointFormat.KindDeconv5x5Stride2;
            int k = deconv ? 5 : 3, os = deconv ? 2 * size : size;
            var y = new double[outCh * os * os];
            for (int o = 0; o < outCh; o++)
            {
                for (int oy = 0; oy < os; oy++)
                {
                    for (int ox = 0; ox < os; ox++)
                    {
                        double sum = bias[o];
                        for (int ky = 0; ky < k; ky++)
                        {
                            int iy = deconv ? oy + 2 - ky : oy + ky - 1;
                            if (deconv && (iy < 0 || (iy & 1) != 0)) continue;
                            if (deconv) iy /= 2;
                            if (iy < 0 || iy >= size) continue;
                            for (int kx = 0; kx < k; kx++)
                            {
                                int ix = deconv ? ox + 2 - kx : ox + kx - 1;
                                if (deconv && (ix < 0 || (ix & 1) != 0)) continue;
                                if (deconv) ix /= 2;
                                if (ix < 0 || ix >= size) continue;
                                for (int c = 0; c < inCh; c++)
                                    sum += x[(c * size + iy) * size + ix] * weights[((o * inCh + c) * k + ky) * k + kx];
                            }
                        }
                        y[(o * os + oy) * os + ox] = leaky && sum < 0 ? sum * LeakySlope : sum;
                    }
                }
            }
            return y;
        }

        /// <summary>Sound per-channel bounds of the output (after the activation) for inputs within [lo, hi].</summary>
        public (double[] Lo, double[] Hi) Interval(double[] lo, double[] hi)
        {
            var outLo = new double[outCh];
            var outHi = new double[outCh];
            int kk = KernelArea;
            // Zero padding: a border output sums a subset of the taps; with 0 inside every input interval the full sum bounds it.
            lo = lo.Select(v => Math.Min(v, 0)).ToArray();
            hi = hi.Select(v => Math.Max(v, 0)).ToArray();
            for (int o = 0; o < outCh; o++)
            {
                double l = double.MaxValue, h = double.MinValue;
                foreach (var phase in PhaseKernels)
                {
                    double pl = bias[o], ph = bias[o];
                    for (int c = 0; c < inCh; c++)
                    {
                        foreach (int k in phase)
                        {
                            double wv = weights[(o * inCh + c) * kk + k];
                            pl += wv >= 0 ? wv * lo[c] : wv * hi[c];
                            ph += wv >= 0 ? wv * hi[c] : wv * lo[c];
                        }
                    }
                    l = Math.Min(l, pl);
                    h = Math.Max(h, ph);
                }
                if (leaky)
                {
                    l = l < 0 ? l * LeakySlope : l;
                    h = h < 0 ? h * LeakySlope : h;
                }
                outLo[o] = l;
                outHi[o] = h;
            }
            return (outLo, outHi);
        }
    }
}
