using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Compass.Determinism;

/// <summary>
/// Activations of one layer: int16 planes with channels interleaved in pairs ([pair][row][col][2]) and a
/// zero border of one row / column (more on the right, so 8-wide vector loads stay inside a row).
/// </summary>
internal sealed class FixedPointPlanes
{
    public FixedPointPlanes(int channels, int height, int width)
    {
        Channels = channels;
        Height = height;
        Width = width;
        Pairs = (channels + 1) / 2;
        Stride = RoundUp8(width) + 2;
        PlaneWords = (height + 2) * Stride;
        Data = new short[2 * Pairs * PlaneWords];
    }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public int Pairs { get; }

    /// <summary>Row stride in pair words (int32).</summary>
    public int Stride { get; }

    public int PlaneWords { get; }

    public short[] Data { get; }

    /// <summary>Index in <see cref="Data"/> of channel c at (row, col) of the unpadded plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexOf(int c, int row, int col) => 2 * ((c >> 1) * PlaneWords + (row + 1) * Stride + col + 1) + (c & 1);

    public static int RoundUp8(int n) => (n + 7) & ~7;
}

/// <summary>Which row kernel runs; all give bit-identical results.</summary>
internal enum KernelPath
{
    Scalar,
    Vector,
    Avx2,
}

/// <summary>The integer kernels: exact, so the SIMD and scalar paths and any thread count give identical results.</summary>
internal static class FixedPointKernels
{
    /// <summary>The fastest path this machine runs (all paths give identical results).</summary>
    public static KernelPath BestPath =>
        Avx2.IsSupported ? KernelPath.Avx2 : Vector.IsHardwareAccelerated && Vector<int>.Count <= 8 ? KernelPath.Vector : KernelPath.Scalar;

    public static void For(int count, int maxDegreeOfParallelism, Action<int> body)
    {
        if (maxDegreeOfParallelism == 1 || count == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, body);
    }

    /// <summary>z_hat in fixed point: symbol * 2^f + median (already fixed), saturated to +-activationMax.</summary>
    public static FixedPointPlanes InputPlanes(ReadOnlySpan<int> symbols, int[] medians, int fractionBits, int activationMax, int channels, int height, int width)
    {
        var planes = new FixedPointPlanes(channels, height, width);
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    long v = ((long)symbols[(c * height + y) * width + x] << fractionBits) + medians[c];
                    planes.Data[planes.IndexOf(c, y, x)] = (short)Math.Clamp(v, -activationMax, activationMax);
                }
            }
        }
        return planes;
    }

    /// <summary>A hidden layer (LeakyReLU, requantised to int16); the output is cropped by (cropTop, cropLeft) to outH x outW.</summary>
    public static FixedPointPlanes Layer(FixedPointLayer layer, FixedPointPlanes input, int inH, int inW, int outH, int outW, int cropTop, int cropLeft, FixedPointHyperScales model, int dop, KernelPath path)
    {
        var output = new FixedPointPlanes(layer.OutChannels, outH, outW);
        int mul = model.LeakyMultiplier, shift = model.LeakyShift, max = model.ActivationMax;
        For(layer.OutChannels, dop, o =>
        {
            int sh = layer.AccFractionBits[o] - layer.OutFractionBits;
            long round = sh > 0 ? 1L << (sh - 1) : 0;
            long bias = layer.Bias[o];
            var data = output.Data;
            Channel(layer, o, input, inH, inW, outH, outW, cropTop, cropLeft, path, (fr, fc, acc) =>
            {
                long v = acc + bias;
                if (layer.Leaky && v < 0) v = (v * mul) >> shift;
                v = (v + round) >> sh;
                data[output.IndexOf(o, fr, fc)] = (short)Math.Clamp(v, -max, max);
            });
        });
        return output;
    }

    /// <summary>The last layer: raw accumulators (+ bias) [out][outH][outW], the fixed-point scales.</summary>
    public static int[] LastLayer(FixedPointLayer layer, FixedPointPlanes input, int inH, int inW, int outH, int outW, int cropTop, int cropLeft, int dop, KernelPath path)
    {
        var result = new int[layer.OutChannels * outH * outW];
        For(layer.OutChannels, dop, o =>
        {
            int bias = layer.Bias[o];
            int plane = o * outH * outW;
            Channel(layer, o, input, inH, inW, outH, outW, cropTop, cropLeft, path, (fr, fc, acc) => result[plane + fr * outW + fc] = acc + bias);
        });
        return result;
    }

    private delegate void Epilogue(int row, int col, int acc);

    // One output channel: every phase, every input row whose output row survives the crop.
    private static void Channel(FixedPointLayer layer, int o, FixedPointPlanes input, int inH, int inW, int outH, int outW, int cropTop, int cropLeft, KernelPath path, Epilogue store)
    {
        int wv = FixedPointPlanes.RoundUp8(inW);
        Span<int> row = wv <= 256 ? stackalloc int[wv] : new int[wv];
        int pairs = layer.InPairs;
        Span<int> offsets = stackalloc int[9];
        for (int ph = 0; ph < layer.Phases.Length; ph++)
        {
            var phase = layer.Phases[ph];
            int taps = phase.Taps;
            var tapOffsets = offsets[..taps];
            for (int t = 0; t < taps; t++) tapOffsets[t] = phase.Dy[t] * input.Stride + 1 + phase.Dx[t];
            int wBase = o * pairs * taps;
            var packed = layer.PackedWeights[ph];
            for (int a = 0; a < inH; a++)
            {
                int fr = (layer.Strided ? 2 * a + phase.Py : a) - cropTop;
                if (fr < 0 || fr >= outH) continue;
                int rowOffset = (a + 1) * input.Stride;
                if (path == KernelPath.Avx2) RowAvx2(packed, wBase, pairs, taps, tapOffsets, input, rowOffset, row);
                else if (path == KernelPath.Vector) RowVector(packed, wBase, pairs, taps, tapOffsets, input, rowOffset, row);
                else RowScalar(packed, wBase, pairs, taps, tapOffsets, input, rowOffset, inW, row);
                for (int b = 0; b < inW; b++)
                {
                    int fc = (layer.Strided ? 2 * b + phase.Px : b) - cropLeft;
                    if (fc >= 0 && fc < outW) store(fr, fc, row[b]);
                }
            }
        }
    }

    // acc[b] = sum over pairs and taps of the pmaddwd of the input pair word and the weight pair word.
    private static void RowAvx2(int[] packed, int wBase, int pairs, int taps, ReadOnlySpan<int> tapOffsets, FixedPointPlanes input, int rowOffset, Span<int> row)
    {
        ref int src = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<short, int>(input.Data.AsSpan()));
        ref int w0 = ref MemoryArrayRef(packed, wBase);
        int b0 = 0;
        for (; b0 + 16 <= row.Length; b0 += 16)
        {
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            int wi = 0;
            for (int p = 0; p < pairs; p++)
            {
                int baseOffset = p * input.PlaneWords + rowOffset + b0;
                for (int t = 0; t < taps; t++, wi++)
                {
                    var w = Vector256.Create(Unsafe.Add(ref w0, wi)).AsInt16();
                    nuint at = (nuint)(baseOffset + tapOffsets[t]);
                    acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref src, at).AsInt16(), w));
                    acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref src, at + 8).AsInt16(), w));
                }
            }
            acc0.CopyTo(row[b0..]);
            acc1.CopyTo(row[(b0 + 8)..]);
        }
        for (; b0 < row.Length; b0 += 8)
        {
            var acc = Vector256<int>.Zero;
            int wi = 0;
            for (int p = 0; p < pairs; p++)
            {
                int baseOffset = p * input.PlaneWords + rowOffset + b0;
                for (int t = 0; t < taps; t++, wi++)
                {
                    var w = Vector256.Create(Unsafe.Add(ref w0, wi)).AsInt16();
                    acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref src, (nuint)(baseOffset + tapOffsets[t])).AsInt16(), w));
                }
            }
            acc.CopyTo(row[b0..]);
        }
    }

    // Portable SIMD (NEON, SSE2): split each pair word into its two int16 halves and multiply in int32 lanes.
    private static void RowVector(int[] packed, int wBase, int pairs, int taps, ReadOnlySpan<int> tapOffsets, FixedPointPlanes input, int rowOffset, Span<int> row)
    {
        ref int src = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<short, int>(input.Data.AsSpan()));
        int lanes = Vector<int>.Count;
        for (int b0 = 0; b0 < row.Length; b0 += lanes)
        {
            var acc = Vector<int>.Zero;
            int wi = wBase;
            for (int p = 0; p < pairs; p++)
            {
                int baseOffset = p * input.PlaneWords + rowOffset + b0;
                for (int t = 0; t < taps; t++, wi++)
                {
                    int word = packed[wi];
                    var x = Vector.LoadUnsafe(ref src, (nuint)(baseOffset + tapOffsets[t]));
                    var lo = Vector.ShiftRightArithmetic(Vector.ShiftLeft(x, 16), 16);
                    var hi = Vector.ShiftRightArithmetic(x, 16);
                    acc += lo * new Vector<int>((short)word) + hi * new Vector<int>((short)(word >> 16));
                }
            }
            acc.CopyTo(row[b0..]);
        }
    }

    private static void RowScalar(int[] packed, int wBase, int pairs, int taps, ReadOnlySpan<int> tapOffsets, FixedPointPlanes input, int rowOffset, int width, Span<int> row)
    {
        var data = input.Data;
        for (int b = 0; b < width; b++)
        {
            int acc = 0;
            int wi = wBase;
            for (int p = 0; p < pairs; p++)
            {
                int baseOffset = p * input.PlaneWords + rowOffset + b;
                for (int t = 0; t < taps; t++, wi++)
                {
                    int word = packed[wi];
                    int at = 2 * (baseOffset + tapOffsets[t]);
                    // unchecked: int32 arithmetic is exact modulo 2^32 and the final sum is proven in range.
                    acc = unchecked(acc + data[at] * (short)word + data[at + 1] * (short)(word >> 16));
                }
            }
            row[b] = acc;
        }
    }

    /// <summary>Table index per element: <paramref name="always"/> + #{ thresholds t : acc &gt; t }.</summary>
    public static void Index(ReadOnlySpan<int> acc, int[] thresholds, int always, Span<int> indexes, KernelPath path)
    {
        int i = 0;
        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= acc.Length; i += 8)
            {
                var a = Vector256.Create(acc.Slice(i, 8));
                var count = Vector256.Create(always);
                // A true lane is all ones (-1): subtracting it counts one.
                foreach (int t in thresholds) count -= Vector256.GreaterThan(a, Vector256.Create(t));
                count.CopyTo(indexes[i..]);
            }
        }
        for (; i < acc.Length; i++)
        {
            int count = always;
            foreach (int t in thresholds)
            {
                if (acc[i] > t) count++;
            }
            indexes[i] = count;
        }
    }

    private static ref int MemoryArrayRef(int[] array, int offset) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), offset);
}
