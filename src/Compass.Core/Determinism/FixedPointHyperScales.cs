using System.Buffers.Binary;

namespace Compass.Determinism;

/// <summary>
/// The scale branch of the hyper-synthesis h_s in fixed-point integer arithmetic: from the decoded z
/// symbols straight to the Gaussian table index of every y element, with no floating point at all.
/// Integer adds and multiplies are exact and associative, so the indexes are bit-identical on every
/// machine, instruction set, loop order and thread count: encoder and decoder cannot disagree.
/// </summary>
/// <remarks>
/// Load it from the <c>hs_scales.fxp</c> blob written at export time (<see cref="BundleFileName"/>).
/// Every bound that keeps the int32 accumulators from overflowing is re-checked on load, so a blob that
/// passes <see cref="Load"/> computes exactly for every possible input. Instances are immutable and thread-safe.
/// Streams coded this way carry <see cref="EntropyPathVersion"/> in their header.
/// </remarks>
public sealed class FixedPointHyperScales
{
    /// <summary>The bitstream entropy-path version of streams whose y indexes come from this class.</summary>
    public const byte EntropyPathVersion = 2;

    /// <summary>File name of the blob in a model bundle (one per codec, next to its networks).</summary>
    public const string BundleFileName = "hs_scales.fxp";

    private readonly FixedPointLayer[] _layers;
    private readonly float[] _scaleTable;
    // Per y channel: the table thresholds at that channel's accumulator scale (see BuildThresholds).
    private readonly int[][] _thresholds;
    private readonly int _alwaysBelow;

    private FixedPointHyperScales(int n, int m, int inputFractionBits, int activationMax, int leakyMultiplier, int leakyShift, float[] scaleTable, float lowerBound, FixedPointLayer[] layers)
    {
        ZChannels = n;
        YChannels = m;
        InputFractionBits = inputFractionBits;
        ActivationMax = activationMax;
        LeakyMultiplier = leakyMultiplier;
        LeakyShift = leakyShift;
        _scaleTable = scaleTable;
        LowerBound = lowerBound;
        _layers = layers;
        (_thresholds, _alwaysBelow) = BuildThresholds(scaleTable, lowerBound, layers[^1].AccFractionBits);
    }

    /// <summary>Channels of z (N).</summary>
    public int ZChannels { get; }

    /// <summary>Channels of y (M): one index per y element.</summary>
    public int YChannels { get; }

    /// <summary>Number of Gaussian tables; indexes are in <c>0 .. TableCount - 1</c>.</summary>
    public int TableCount => _scaleTable.Length;

    /// <summary>The scale table the indexes refer to (must equal the bundle's Gaussian tables' scale table).</summary>
    public ReadOnlySpan<float> ScaleTable => _scaleTable;

    /// <summary>Scales below this are raised to it before indexing (CompressAI's 0.11).</summary>
    public float LowerBound { get; }

    /// <summary>Fraction bits of the fixed-point z_hat: <c>symbol * 2^f + round_half_even(median * 2^f)</c>, saturated like every activation.</summary>
    public int InputFractionBits { get; }

    /// <summary>Every activation saturates to +-ActivationMax (2^bits - 1, bits from the blob, at most 15).</summary>
    internal int ActivationMax { get; }

    internal int LeakyMultiplier { get; }

    internal int LeakyShift { get; }

    internal IReadOnlyList<FixedPointLayer> Layers => _layers;

    /// <summary>Parses and validates a blob.</summary>
    /// <param name="blob">The bytes of <c>hs_scales.fxp</c>.</param>
    /// <exception cref="CompassFormatException">The blob is truncated, has trailing bytes, an unknown version, inconsistent shapes or an accumulator that could overflow.</exception>
    public static FixedPointHyperScales Load(ReadOnlySpan<byte> blob)
    {
        var r = new BlobReader(blob);
        if (r.UInt32() != FixedPointFormat.Magic) throw Bad("not an hs_scales.fxp blob (bad magic)");
        ushort version = r.UInt16();
        if (version != FixedPointFormat.Version) throw new CompassFormatException(CompassFormatErrorKind.UnsupportedVersion, $"hs_scales.fxp: unsupported version {version} (this library reads {FixedPointFormat.Version}).");
        if (r.UInt16() != 0) throw Bad("reserved field is not zero");
        int n = r.Int32(), m = r.Int32();
        if (n < 1 || n > FixedPointFormat.MaxChannels || m < 2 || m > FixedPointFormat.MaxChannels || m % 2 != 0)
            throw Bad($"channel counts N={n}, M={m} are invalid");
        int inputBits = r.Int32();
        if (inputBits < 0 || inputBits > 15) throw Bad($"input fraction bits {inputBits} out of 0..15");
        int activationBits = r.Int32();
        if (activationBits < 2 || activationBits > 15) throw Bad($"activation bits {activationBits} out of 2..15");
        int activationMax = (1 << activationBits) - 1;
        int leakyMul = r.Int32(), leakyShift = r.Int32();
        if (leakyShift < 1 || leakyShift > 30 || leakyMul < 0 || leakyMul >= 1 << leakyShift) throw Bad($"LeakyReLU multiplier {leakyMul} / 2^{leakyShift} is invalid");
        int tableCount = r.Int32();
        if (tableCount < 1 || tableCount > FixedPointFormat.MaxTables) throw Bad($"scale table length {tableCount} out of 1..{FixedPointFormat.MaxTables}");
        var table = new float[tableCount];
        for (int i = 0; i < tableCount; i++)
        {
            table[i] = r.Single();
            if (!float.IsFinite(table[i]) || table[i] <= 0 || (i > 0 && table[i] <= table[i - 1]))
                throw Bad($"scale table entry {i} ({table[i]}) is not positive, finite and ascending");
        }
        float lowerBound = r.Single();
        if (!float.IsFinite(lowerBound) || lowerBound < 0) throw Bad($"lower bound {lowerBound} is invalid");

        int mid = m * 3 / 2;
        var layers = new[]
        {
            ReadLayer(ref r, 0, FixedPointFormat.KindDeconv5x5Stride2, n, m, leaky: true, activationMax),
            default!,
            default!,
        };
        layers[1] = ReadLayer(ref r, 1, FixedPointFormat.KindDeconv5x5Stride2, m, mid, leaky: true, activationMax);
        layers[2] = ReadLayer(ref r, 2, FixedPointFormat.KindConv3x3, mid, m, leaky: false, activationMax);
        if (!r.AtEnd) throw Bad($"{r.Remaining} trailing bytes");
        return new FixedPointHyperScales(n, m, inputBits, activationMax, leakyMul, leakyShift, table, lowerBound, layers);
    }

    /// <summary>Size of z for a latent y of <paramref name="yHeight"/> x <paramref name="yWidth"/> (twice ceil(n / 2)).</summary>
    public static (int Height, int Width) ZSize(int yHeight, int yWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(yHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(yWidth, 1);
        return (Half(Half(yHeight)), Half(Half(yWidth)));
    }

    /// <summary>
    /// Computes the table index of every y element, [M, yHeight, yWidth] row-major, from the z symbols.
    /// The result is the same for every <paramref name="maxDegreeOfParallelism"/> and on every machine.
    /// </summary>
    /// <param name="zSymbols">Decoded z symbols [N, zHeight, zWidth] (<c>round(z - median)</c>).</param>
    /// <param name="zMedians">The bundle's per-channel z medians (N values); rounded once to <see cref="InputFractionBits"/>.</param>
    /// <param name="zHeight">Height of z; must equal <see cref="ZSize"/> of the y size.</param>
    /// <param name="zWidth">Width of z.</param>
    /// <param name="yHeight">Height of y.</param>
    /// <param name="yWidth">Width of y.</param>
    /// <param name="indexes">Receives M * yHeight * yWidth indexes.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use (-1: all cores; 1: the calling thread only).</param>
    /// <exception cref="ArgumentException">A size or length does not match.</exception>
    /// <exception cref="CompassFormatException">A median is not finite.</exception>
    public void ComputeIndexes(ReadOnlySpan<int> zSymbols, ReadOnlySpan<float> zMedians, int zHeight, int zWidth, int yHeight, int yWidth, Span<int> indexes, int maxDegreeOfParallelism = -1)
        => ComputeIndexes(zSymbols, zMedians, zHeight, zWidth, yHeight, yWidth, indexes, maxDegreeOfParallelism, FixedPointKernels.BestPath);

    internal void ComputeIndexes(ReadOnlySpan<int> zSymbols, ReadOnlySpan<float> zMedians, int zHeight, int zWidth, int yHeight, int yWidth, Span<int> indexes, int maxDegreeOfParallelism, KernelPath path)
    {
        if (indexes.Length != YChannels * yHeight * yWidth)
            throw new ArgumentException($"{indexes.Length} indexes for a latent of {YChannels}x{yHeight}x{yWidth}.", nameof(indexes));
        var acc = ComputeAccumulators(zSymbols, zMedians, zHeight, zWidth, yHeight, yWidth, maxDegreeOfParallelism, path);
        int plane = yHeight * yWidth;
        var output = new int[indexes.Length];
        FixedPointKernels.For(YChannels, maxDegreeOfParallelism, o =>
            FixedPointKernels.Index(acc.AsSpan(o * plane, plane), _thresholds[o], _alwaysBelow, output.AsSpan(o * plane, plane), path));
        output.CopyTo(indexes);
    }

    /// <summary>The accumulators of the last layer with the default parallelism and the best kernels.</summary>
    internal int[] ComputeAccumulators(ReadOnlySpan<int> zSymbols, ReadOnlySpan<float> zMedians, int zHeight, int zWidth, int yHeight, int yWidth) =>
        ComputeAccumulators(zSymbols, zMedians, zHeight, zWidth, yHeight, yWidth, -1, FixedPointKernels.BestPath);

    /// <summary>
    /// The table indexes at quantisation step D = <paramref name="stepQ16"/> / 65536 from the accumulators of
    /// <see cref="ComputeAccumulators(ReadOnlySpan{int}, ReadOnlySpan{float}, int, int, int, int)"/>: the index for scale
    /// sigma / D, with sigma the exact rational acc / 2^f compared against table[i] * D (see <see cref="BuildThresholds"/>).
    /// </summary>
    internal void IndexesFromAccumulators(int[] acc, int yHeight, int yWidth, int stepQ16, Span<int> indexes, int maxDegreeOfParallelism = -1, KernelPath? path = null)
    {
        if (indexes.Length != YChannels * yHeight * yWidth || acc.Length != indexes.Length)
            throw new ArgumentException($"{indexes.Length} indexes and {acc.Length} accumulators for a latent of {YChannels}x{yHeight}x{yWidth}.", nameof(indexes));
        var thresholds = stepQ16 == Pipeline.QuantizationSteps.UnitStepQ16 ? _thresholds : BuildThresholds(_scaleTable, LowerBound, _layers[^1].AccFractionBits, stepQ16).Thresholds;
        var kernels = path ?? FixedPointKernels.BestPath;
        int plane = yHeight * yWidth;
        var output = new int[indexes.Length];
        FixedPointKernels.For(YChannels, maxDegreeOfParallelism, o =>
            FixedPointKernels.Index(acc.AsSpan(o * plane, plane), thresholds[o], _alwaysBelow, output.AsSpan(o * plane, plane), kernels));
        output.CopyTo(indexes);
    }

    /// <summary>The scale of every y element as the integer accumulator of the last layer (real scale = acc / 2^AccFractionBits[channel]).</summary>
    internal int[] ComputeAccumulators(ReadOnlySpan<int> zSymbols, ReadOnlySpan<float> zMedians, int zHeight, int zWidth, int yHeight, int yWidth, int maxDegreeOfParallelism, KernelPath path)
    {
        var (zh, zw) = ZSize(yHeight, yWidth);
        if (zHeight != zh || zWidth != zw)
            throw new ArgumentException($"z is {zHeight}x{zWidth} but a {yHeight}x{yWidth} latent needs {zh}x{zw}.", nameof(zHeight));
        if (zSymbols.Length != ZChannels * zh * zw)
            throw new ArgumentException($"{zSymbols.Length} z symbols for {ZChannels}x{zh}x{zw}.", nameof(zSymbols));
        if (zMedians.Length != ZChannels)
            throw new ArgumentException($"{zMedians.Length} medians for {ZChannels} channels.", nameof(zMedians));
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "Use -1 (all cores) or a positive count.");

        // The odd-size scheme: h_s.0's output is cropped to ceil(yh/2) (top row if odd), h_s.2's is not, h_s.4's to yh.
        int h2 = Half(yHeight), w2 = Half(yWidth), h1 = 2 * h2, w1 = 2 * w2;
        var input = FixedPointKernels.InputPlanes(zSymbols, QuantizeMedians(zMedians), InputFractionBits, ActivationMax, ZChannels, zh, zw);
        var a1 = FixedPointKernels.Layer(_layers[0], input, zh, zw, h2, w2, 2 * zh - h2, 2 * zw - w2, this, maxDegreeOfParallelism, path);
        var a2 = FixedPointKernels.Layer(_layers[1], a1, h2, w2, h1, w1, 0, 0, this, maxDegreeOfParallelism, path);
        return FixedPointKernels.LastLayer(_layers[2], a2, h1, w1, yHeight, yWidth, h1 - yHeight, w1 - yWidth, maxDegreeOfParallelism, path);
    }

    /// <summary>The one rounding of the float medians: round half to even of <c>median * 2^f</c> (exact in double).</summary>
    internal int[] QuantizeMedians(ReadOnlySpan<float> medians)
    {
        var fixedMedians = new int[medians.Length];
        for (int c = 0; c < medians.Length; c++)
        {
            if (!float.IsFinite(medians[c])) throw new CompassFormatException($"z median {c} ({medians[c]}) is not finite.");
            double v = Math.Round(Math.ScaleB(medians[c], InputFractionBits), MidpointRounding.ToEven);
            fixedMedians[c] = (int)Math.Clamp(v, -ActivationMax, ActivationMax);
        }
        return fixedMedians;
    }

    // index = #{ i < n-1 : table[i] < max(scale / D, lowerBound) }, ScaleTableIndexer's rule, with the scale the exact
    // rational acc / 2^f and D = stepQ16 / 2^16. Entries below the lower bound always count; for the others
    // acc / 2^f > t * D  <=>  acc > floor(t * stepQ16 * 2^(f - 16)): a float32 times a 24-bit integer is exact in double,
    // and so is the power-of-two scaling, so every machine computes the same thresholds.
    private static (int[][] Thresholds, int AlwaysBelow) BuildThresholds(float[] table, float lowerBound, int[] accBits, int stepQ16 = Pipeline.QuantizationSteps.UnitStepQ16)
    {
        int always = 0;
        var rest = new List<float>();
        for (int i = 0; i < table.Length - 1; i++)
        {
            if (table[i] < lowerBound) always++;
            else rest.Add(table[i]);
        }
        var thresholds = new int[accBits.Length][];
        for (int o = 0; o < accBits.Length; o++)
        {
            thresholds[o] = new int[rest.Count];
            for (int i = 0; i < rest.Count; i++)
                thresholds[o][i] = (int)Math.Min(Math.Floor(Math.ScaleB(rest[i] * (double)stepQ16, accBits[o] - 16)), int.MaxValue);
        }
        return (thresholds, always);
    }

    private static FixedPointLayer ReadLayer(ref BlobReader r, int index, byte kind, int inChannels, int outChannels, bool leaky, int activationMax)
    {
        string where = $"layer {index}";
        byte k = r.Byte();
        byte l = r.Byte();
        if (k != kind) throw Bad($"{where}: kind {k}, expected {kind}");
        if (l != (leaky ? 1 : 0)) throw Bad($"{where}: activation flag {l}, expected {(leaky ? 1 : 0)}");
        if (r.UInt16() != 0) throw Bad($"{where}: reserved field is not zero");
        int cin = r.Int32(), cout = r.Int32();
        if (cin != inChannels || cout != outChannels) throw Bad($"{where}: {cin}->{cout} channels, expected {inChannels}->{outChannels}");
        int outBits = r.Int32();
        if (outBits < 0 || outBits > FixedPointFormat.MaxFractionBits || (!leaky && outBits != 0))
            throw Bad($"{where}: output fraction bits {outBits} invalid");
        var accBits = new int[cout];
        for (int o = 0; o < cout; o++)
        {
            accBits[o] = r.Int32();
            if (accBits[o] < 0 || accBits[o] > FixedPointFormat.MaxFractionBits || (leaky && accBits[o] < outBits))
                throw Bad($"{where}: channel {o} accumulator fraction bits {accBits[o]} invalid (output has {outBits})");
        }
        var bias = new int[cout];
        for (int o = 0; o < cout; o++) bias[o] = r.Int32();
        int ks = kind == FixedPointFormat.KindDeconv5x5Stride2 ? 5 : 3;
        long count = (long)cout * cin * ks * ks;
        if (count > r.Remaining / 2) throw Bad($"{where}: truncated weights");
        var weights = new short[count];
        for (long i = 0; i < count; i++)
        {
            weights[i] = r.Int16();
            if (weights[i] == short.MinValue) throw Bad($"{where}: weight -32768 is not allowed");
        }
        var layer = new FixedPointLayer(kind, cin, cout, leaky, outBits, accBits, bias, weights);
        CheckBounds(layer, where, activationMax);
        return layer;
    }

    // Every accumulator of every phase must stay within int32 for ANY input in [-activationMax, activationMax].
    private static void CheckBounds(FixedPointLayer layer, string where, int activationMax)
    {
        int kk = layer.KernelSize * layer.KernelSize;
        for (int o = 0; o < layer.OutChannels; o++)
        {
            var w = layer.ChannelWeights(o);
            foreach (var phase in layer.Phases)
            {
                long sum = 0;
                for (int c = 0; c < layer.InChannels; c++)
                {
                    foreach (int k in phase.Kernel) sum += Math.Abs((int)w[c * kk + k]);
                }
                long bound = sum * activationMax + Math.Abs((long)layer.Bias[o]);
                if (bound > int.MaxValue) throw Bad($"{where}: channel {o} can overflow its int32 accumulator (bound {bound})");
            }
        }
    }

    private static int Half(int n) => (n + 1) / 2;

    private static CompassFormatException Bad(string message) => new($"hs_scales.fxp: {message}.");

    private ref struct BlobReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public readonly bool AtEnd => _pos == _data.Length;

        public readonly int Remaining => _data.Length - _pos;

        public byte Byte() => Take(1)[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public short Int16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public float Single() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

        private ReadOnlySpan<byte> Take(int n)
        {
            if (_data.Length - _pos < n) throw Bad($"truncated at byte {_pos}");
            var s = _data.Slice(_pos, n);
            _pos += n;
            return s;
        }
    }
}
