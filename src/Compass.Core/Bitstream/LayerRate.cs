using System.Globalization;

namespace Compass.Bitstream;

/// <summary>
/// How one layer was quantised, as a version-2 header records it: the layer's quality and the exact quantisation
/// step of its codec in Q16 (<c>D = StepQ16 / 65536</c>; the decoder uses D and never recomputes it from the quality).
/// </summary>
public readonly record struct LayerRate
{
    /// <summary>The step of a single-rate model (1.0 in Q16).</summary>
    public const int UnitStepQ16 = 1 << 16;

    /// <summary>Creates a layer rate.</summary>
    /// <param name="quality">The layer's quality.</param>
    /// <param name="stepQ16">The quantisation step times 65536: 1 to 2^24 - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepQ16"/> is out of range.</exception>
    public LayerRate(Quality quality, int stepQ16)
    {
        if (!Pipeline.QuantizationSteps.IsValid(stepQ16))
            throw new ArgumentOutOfRangeException(nameof(stepQ16), stepQ16, StepMessage(stepQ16));
        Quality = quality;
        StepQ16 = stepQ16;
    }

    /// <summary>The layer's quality.</summary>
    public Quality Quality { get; }

    /// <summary>The quantisation step in Q16 (65536 = step 1).</summary>
    public int StepQ16 { get; }

    /// <summary>The quantisation step, <c>StepQ16 / 65536</c> (exact).</summary>
    public double Step => StepQ16 / (double)UnitStepQ16;

    /// <summary>A rate at <paramref name="quality"/> with step 1 (single-rate models, version-1 streams).</summary>
    /// <param name="quality">The quality.</param>
    public static LayerRate AtUnitStep(Quality quality) => new(quality, UnitStepQ16);

    /// <summary>E.g. <c>quality 2.5, step 1.2345</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"quality {Quality}, step {Step:0.####}");

    internal static string StepMessage(long stepQ16) =>
        string.Create(CultureInfo.InvariantCulture, $"stepQ16 {stepQ16} is outside 1..{(1 << 24) - 1} (a quantisation step from 1/65536 to just under 256)");
}

/// <summary>The flags byte of a version-2 header (byte 7). Unknown bits make a stream invalid.</summary>
[Flags]
public enum BitstreamFlags
{
    /// <summary>No flag set: an RGB image without metadata.</summary>
    None = 0,

    /// <summary>Bit 0: the source image was grayscale.</summary>
    Grayscale = 1,

    /// <summary>Bit 1: a metadata chunk follows the header.</summary>
    Metadata = 2,

    /// <summary>Bit 2: the source image had an alpha channel.</summary>
    Alpha = 4,
}
