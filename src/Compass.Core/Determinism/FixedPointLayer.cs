namespace Compass.Determinism;

/// <summary>
/// One quantised layer of the h_s scale branch with its weights regrouped for the kernel: per phase of
/// the (transposed) convolution, a list of taps (row / column offsets in {-1, 0, 1} of the input) and,
/// per output channel, the weights of two input channels packed into one int32 (low half: the even channel).
/// </summary>
internal sealed class FixedPointLayer
{
    public FixedPointLayer(byte kind, int inChannels, int outChannels, bool leaky, int outFractionBits, int[] accFractionBits, int[] bias, short[] weights)
    {
        Kind = kind;
        InChannels = inChannels;
        OutChannels = outChannels;
        Leaky = leaky;
        OutFractionBits = outFractionBits;
        AccFractionBits = accFractionBits;
        Bias = bias;
        Weights = weights;
        KernelSize = kind == FixedPointFormat.KindDeconv5x5Stride2 ? 5 : 3;
        Phases = kind == FixedPointFormat.KindDeconv5x5Stride2 ? DeconvPhases() : [ConvPhase()];
        PackedWeights = Phases.Select(Pack).ToArray();
    }

    public byte Kind { get; }

    public int InChannels { get; }

    public int OutChannels { get; }

    /// <summary>LeakyReLU(0.01) after the layer (integer multiply-shift on the accumulator).</summary>
    public bool Leaky { get; }

    /// <summary>Fraction bits of the int16 output activations (hidden layers only).</summary>
    public int OutFractionBits { get; }

    /// <summary>Per output channel: fraction bits of the int32 accumulator (input bits + weight bits).</summary>
    public int[] AccFractionBits { get; }

    /// <summary>Per output channel, at the accumulator scale.</summary>
    public int[] Bias { get; }

    /// <summary>[out][in][ky][kx], correlation orientation for the 3x3 conv; for the deconvolution the PyTorch tap order ([out][in] instead of [in][out]).</summary>
    public short[] Weights { get; }

    public int KernelSize { get; }

    public bool Strided => Kind == FixedPointFormat.KindDeconv5x5Stride2;

    public int InPairs => (InChannels + 1) / 2;

    public LayerPhase[] Phases { get; }

    /// <summary>Per phase: [out][pair][tap] packed weight pairs.</summary>
    public int[][] PackedWeights { get; }

    /// <summary>The weights of one output channel: [in][ky][kx].</summary>
    public ReadOnlySpan<short> ChannelWeights(int o) => Weights.AsSpan(o * InChannels * KernelSize * KernelSize, InChannels * KernelSize * KernelSize);

    // ConvTranspose2d(k=5, stride=2, padding=2, output_padding=1): output row 2a+py receives input row a+dy
    // through kernel row ky = py + 2 - 2*dy, for every ky of the parity of py. Same for columns.
    private static LayerPhase[] DeconvPhases()
    {
        var phases = new LayerPhase[4];
        for (int py = 0; py < 2; py++)
        {
            for (int px = 0; px < 2; px++)
            {
                var taps = new List<(int Dy, int Dx, int K)>();
                for (int ky = py; ky < 5; ky += 2)
                {
                    for (int kx = px; kx < 5; kx += 2)
                        taps.Add(((py + 2 - ky) / 2, (px + 2 - kx) / 2, ky * 5 + kx));
                }
                phases[py * 2 + px] = new LayerPhase(py, px, taps.Select(t => t.Dy).ToArray(), taps.Select(t => t.Dx).ToArray(), taps.Select(t => t.K).ToArray());
            }
        }
        return phases;
    }

    private static LayerPhase ConvPhase()
    {
        var dy = new int[9];
        var dx = new int[9];
        var k = new int[9];
        for (int ky = 0; ky < 3; ky++)
        {
            for (int kx = 0; kx < 3; kx++)
                (dy[ky * 3 + kx], dx[ky * 3 + kx], k[ky * 3 + kx]) = (ky - 1, kx - 1, ky * 3 + kx);
        }
        return new LayerPhase(0, 0, dy, dx, k);
    }

    private int[] Pack(LayerPhase phase)
    {
        int taps = phase.Taps, pairs = InPairs, kk = KernelSize * KernelSize;
        var packed = new int[OutChannels * pairs * taps];
        for (int o = 0; o < OutChannels; o++)
        {
            var w = ChannelWeights(o);
            for (int p = 0; p < pairs; p++)
            {
                for (int t = 0; t < taps; t++)
                {
                    int k = phase.Kernel[t];
                    short lo = w[2 * p * kk + k];
                    short hi = 2 * p + 1 < InChannels ? w[(2 * p + 1) * kk + k] : (short)0;
                    packed[(o * pairs + p) * taps + t] = (ushort)lo | (hi << 16);
                }
            }
        }
        return packed;
    }
}

/// <summary>One stride-1 sub-convolution: output (a, b) lands at (2a + Py, 2b + Px) for a deconvolution, at (a, b) for a conv.</summary>
internal sealed record LayerPhase(int Py, int Px, int[] Dy, int[] Dx, int[] Kernel)
{
    public int Taps => Dy.Length;
}
