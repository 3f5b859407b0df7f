using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// Which edges an analysis stage replicates before its convolution: an odd height gets one copy of the
/// first row on top, an odd width one copy of the first column on the left. The matching synthesis stage
/// crops that first row / column from its output.
/// </summary>
/// <param name="Top">Pad one replicated row at the top (input height is odd).</param>
/// <param name="Left">Pad one replicated column at the left (input width is odd).</param>
public readonly record struct PadFlags(bool Top, bool Left)
{
    /// <summary>The flags for a tensor of the given size.</summary>
    public static PadFlags For(int height, int width) => new(height % 2 == 1, width % 2 == 1);
}

/// <summary>
/// The odd-size scheme of the authors' fork, with every flag DERIVED FROM A SIZE (the image size for
/// g_a / g_s, the latent size for h_a / h_s), so a decoder never depends on state left by an encoder.
/// Each stride-2 stage maps n to ceil(n / 2).
/// </summary>
/// <remarks>
/// Like the fork, h_a also pads before its first (stride-1) 3x3 convolution and h_s crops after its last
/// one; that changes border values, so it is kept for parity with the official weights.
/// </remarks>
public static class OddSizePadding
{
    /// <summary>Number of padded stages in g_a (before g_a.0, .2, .4, .6).</summary>
    public const int AnalysisStages = 4;

    /// <summary>Number of padded stages in h_a (before h_a.0 (stride 1), h_a.2, h_a.4).</summary>
    public const int HyperAnalysisStages = 3;

    /// <summary>The flags of the 4 g_a stages for an image of <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static PadFlags[] AnalysisFlags(int height, int width)
    {
        CheckSize(height, width);
        var flags = new PadFlags[AnalysisStages];
        for (int i = 0; i < AnalysisStages; i++)
        {
            flags[i] = PadFlags.For(height, width);
            (height, width) = (Half(height), Half(width));
        }
        return flags;
    }

    /// <summary>The flags of the 3 h_a stages for a latent y of <paramref name="latentHeight"/> x <paramref name="latentWidth"/>.</summary>
    public static PadFlags[] HyperAnalysisFlags(int latentHeight, int latentWidth)
    {
        CheckSize(latentHeight, latentWidth);
        var flags = new PadFlags[HyperAnalysisStages];
        int h = latentHeight, w = latentWidth;
        // Stage 0 precedes the stride-1 conv, which keeps the padded (now even) size, so the next stage
        // never pads; its row / column is cropped again after h_s's last conv.
        flags[0] = PadFlags.For(h, w);
        (h, w) = (2 * Half(h), 2 * Half(w));
        for (int i = 1; i < HyperAnalysisStages; i++)
        {
            flags[i] = PadFlags.For(h, w);
            (h, w) = (Half(h), Half(w));
        }
        return flags;
    }

    /// <summary>Size of y for an image: four times ceil(n / 2).</summary>
    public static (int Height, int Width) LatentSize(int height, int width)
    {
        CheckSize(height, width);
        for (int i = 0; i < AnalysisStages; i++) (height, width) = (Half(height), Half(width));
        return (height, width);
    }

    /// <summary>Size of z for a latent y: twice ceil(n / 2).</summary>
    public static (int Height, int Width) HyperLatentSize(int latentHeight, int latentWidth)
    {
        CheckSize(latentHeight, latentWidth);
        return (Half(Half(latentHeight)), Half(Half(latentWidth)));
    }

    /// <summary>Replicates the first row / column of <paramref name="x"/> [B, C, H, W] as the flags say.</summary>
    internal static Tensor Pad(Tensor x, PadFlags flags)
    {
        if (!flags.Top && !flags.Left) return x.alias();
        return nn.functional.pad(x, [flags.Left ? 1 : 0, 0, flags.Top ? 1 : 0, 0], PaddingModes.Replicate);
    }

    /// <summary>Drops the first row / column of <paramref name="x"/> [B, C, H, W] as the flags say.</summary>
    internal static Tensor Crop(Tensor x, PadFlags flags)
    {
        var r = x;
        if (flags.Top) r = r.narrow(2, 1, r.shape[2] - 1);
        if (flags.Left) r = r.narrow(3, 1, r.shape[3] - 1);
        return ReferenceEquals(r, x) ? x.alias() : r;
    }

    private static int Half(int n) => (n + 1) / 2;

    private static void CheckSize(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
    }
}
