using Compass.Determinism;
using Compass.EntropyCoding;
using Compass.Training.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Export.FixedPoint;

/// <summary>
/// Writes the scale branch of a codec's h_s as the fixed-point blob <c>hs_scales.fxp</c> that
/// <see cref="FixedPointHyperScales"/> runs (see <c>docs/determinism.md</c> for the format).
/// </summary>
/// <remarks>
/// Quantisation: activations are int16 with one power-of-two scale per tensor, chosen from a sound
/// interval bound of the layer's output for z inside the entropy bottleneck's quantiles (values beyond
/// saturate); weights are int16 with a power-of-two scale per output channel, the largest for which no
/// accumulator can leave int32 for any input (the same bound the loader re-checks).
/// </remarks>
public static class FixedPointExporter
{
    /// <summary>LeakyReLU(0.01) as 5243 / 2^19 = 0.0100002.</summary>
    private const int LeakyMultiplier = 5243;
    private const int LeakyShift = 19;
    private const double LeakySlope = 0.01;

    /// <summary>Writes the blob for <paramref name="codec"/> with CompressAI's default scale table and 0.11 bound.</summary>
    /// <param name="codec">A trained codec (its h_s and entropy-bottleneck quantiles are read).</param>
    /// <param name="output">Receives the blob.</param>
    public static void Write(MeanScaleHyperprior codec, Stream output) =>
        Write(codec, output, GaussianTableBuilder.DefaultScaleTable(), GaussianConditional.ScaleBound);

    /// <summary>Writes the blob for <paramref name="codec"/> with an explicit scale table (the one its Gaussian tables were built from).</summary>
    /// <param name="codec">A trained codec.</param>
    /// <param name="output">Receives the blob.</param>
    /// <param name="scaleTable">Ascending positive scales, one per Gaussian table.</param>
    /// <param name="lowerBound">Scales below this are raised to it before indexing.</param>
    /// <exception cref="InvalidOperationException">The weights are too large to quantise.</exception>
    public static void Write(MeanScaleHyperprior codec, Stream output, ReadOnlySpan<float> scaleTable, float lowerBound)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(output);
        var bytes = Build(codec, scaleTable, lowerBound);
        output.Write(bytes);
    }

    /// <summary>The blob as bytes.</summary>
    internal static byte[] Build(MeanScaleHyperprior codec, ReadOnlySpan<float> scaleTable, float lowerBound)
    {
        int n = codec.N, m = codec.M, mid = m * 3 / 2;
        var p = codec.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var layers = new[]
        {
            new FloatLayer(FixedPointFormatKind.Deconv, n, m, TransposedToOutIn(Floats(p["h_s.0.weight"]), n, m, 25), Floats(p["h_s.0.bias"]), true),
            new FloatLayer(FixedPointFormatKind.Deconv, m, mid, TransposedToOutIn(Floats(p["h_s.2.weight"]), m, mid, 25), Floats(p["h_s.2.bias"]), true),
            // Only the scale half (first M output channels) of h_s.4.
            new FloatLayer(FixedPointFormatKind.Conv, mid, m, Floats(p["h_s.4.weight"])[..(m * mid * 9)], Floats(p["h_s.4.bias"])[..m], false),
        };

        // Input range: the quantiles (lower, median, upper) of every z channel, plus one symbol of margin.
        var q = Floats(p["entropy_bottleneck.quantiles"]);
        var lo = new double[n];
        var hi = new double[n];
        double zMax = 1;
        for (int c = 0; c < n; c++)
        {
            lo[c] = Math.Min(q[3 * c], q[3 * c + 1]) - 1;
            hi[c] = Math.Max(q[3 * c + 2], q[3 * c + 1]) + 1;
            zMax = Math.Max(zMax, Math.Max(Math.Abs(lo[c]), Math.Abs(hi[c])));
        }
        int inBits = Math.Clamp(FractionBitsFor(zMax), 0, 15);

        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            w.Write(0x50584643u); // "CFXP"
            w.Write((ushort)1);
            w.Write((ushort)0);
            w.Write(n);
            w.Write(m);
            w.Write(inBits);
            w.Write(LeakyMultiplier);
            w.Write(LeakyShift);
            w.Write(scaleTable.Length);
            foreach (float s in scaleTable) w.Write(s);
            w.Write(lowerBound);
            foreach (var layer in layers)
            {
                var (outLo, outHi) = layer.Interval(lo, hi);
                (lo, hi) = (outLo, outHi);
                WriteLayer(w, layer, ref inBits, outLo, outHi);
            }
        }
        return ms.ToArray();
    }

    // Quantises one layer given its input fraction bits; on return inBits holds the output's fraction bits.
    private static void WriteLayer(BinaryWriter w, FloatLayer layer, ref int inBits, double[] outLo, double[] outHi)
    {
        int outBits = 0;
        if (layer.Leaky)
        {
            double range = 1e-9;
            for (int o = 0; o < layer.Out; o++) range = Math.Max(range, Math.Max(Math.Abs(outLo[o]), Math.Abs(outHi[o])));
            outBits = Math.Clamp(FractionBitsFor(range), 0, 40);
        }

        var accBits = new int[layer.Out];
        var bias = new int[layer.Out];
        var weights = new short[layer.Weights.Length];
        int per = layer.In * layer.KernelArea;
        for (int o = 0; o < layer.Out; o++)
        {
            int wBits = 40 - inBits;
            while (true)
            {
                if (inBits + wBits < 0) throw new InvalidOperationException($"h_s weights of output channel {o} are too large to quantise.");
                if (TryQuantise(layer, o, wBits, inBits, weights.AsSpan(o * per, per), out bias[o])) break;
                wBits--;
            }
            accBits[o] = inBits + wBits;
        }
        if (layer.Leaky) outBits = Math.Min(outBits, accBits.Min());

        w.Write(layer.Kind == FixedPointFormatKind.Deconv ? (byte)1 : (byte)2);
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
    // every phase's worst case |sum| over inputs in [-32767, 32767] plus |bias| fits in int32.
    private static bool TryQuantise(FloatLayer layer, int o, int wBits, int inBits, Span<short> wq, out int biasQ)
    {
        biasQ = 0;
        int per = layer.In * layer.KernelArea;
        for (int i = 0; i < per; i++)
        {
            double v = Math.Round(Math.ScaleB(layer.Weights[o * per + i], wBits), MidpointRounding.ToEven);
            if (Math.Abs(v) > short.MaxValue) return false;
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
            if (sum * short.MaxValue + Math.Abs((long)biasQ) > int.MaxValue) return false;
        }
        return true;
    }

    /// <summary>The most fraction bits with which values up to <paramref name="range"/> fit in +-32767.</summary>
    private static int FractionBitsFor(double range) => (int)Math.Floor(Math.Log2(short.MaxValue / range));

    private static float[] Floats(Tensor t)
    {
        using var f = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return f.data<float>().ToArray();
    }

    // ConvTranspose2d stores [in][out][k]; the kernels want [out][in][k].
    private static float[] TransposedToOutIn(float[] w, int inCh, int outCh, int kk)
    {
        var r = new float[w.Length];
        for (int c = 0; c < inCh; c++)
        {
            for (int o = 0; o < outCh; o++)
                Array.Copy(w, (c * outCh + o) * kk, r, (o * inCh + c) * kk, kk);
        }
        return r;
    }

    private enum FixedPointFormatKind
    {
        Deconv,
        Conv,
    }

    private sealed class FloatLayer(FixedPointFormatKind kind, int inCh, int outCh, float[] weights, float[] bias, bool leaky)
    {
        public FixedPointFormatKind Kind => kind;

        public int In => inCh;

        public int Out => outCh;

        public float[] Weights => weights;

        public float[] Bias => bias;

        public bool Leaky => leaky;

        public int KernelArea => kind == FixedPointFormatKind.Deconv ? 25 : 9;

        /// <summary>The kernel taps each output phase sums (4 parity classes for the stride-2 deconvolution).</summary>
        public int[][] PhaseKernels => kind == FixedPointFormatKind.Deconv
            ? [.. from py in new[] { 0, 1 } from px in new[] { 0, 1 } select (from ky in Enumerable.Range(0, 5) where ky % 2 == py from kx in Enumerable.Range(0, 5) where kx % 2 == px select ky * 5 + kx).ToArray()]
            : [Enumerable.Range(0, 9).ToArray()];

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
                    double pl = bias[o], phv = bias[o];
                    for (int c = 0; c < inCh; c++)
                    {
                        foreach (int k in phase)
                        {
                            double wv = weights[(o * inCh + c) * kk + k];
                            pl += wv >= 0 ? wv * lo[c] : wv * hi[c];
                            phv += wv >= 0 ? wv * hi[c] : wv * lo[c];
                        }
                    }
                    l = Math.Min(l, pl);
                    h = Math.Max(h, phv);
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
