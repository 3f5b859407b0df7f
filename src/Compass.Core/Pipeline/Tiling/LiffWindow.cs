using System.Diagnostics.CodeAnalysis;
namespace Compass.Pipeline;

/// <summary>
/// The part of one LIFF call that one network run computes: <see cref="Target"/>, a rectangle of a target layer of
/// <see cref="TargetWidth"/> x <see cref="TargetHeight"/>, predicted from <see cref="Source"/>, the rectangle of the
/// previous layer (of <see cref="SourceWidth"/> x <see cref="SourceHeight"/>) that the run is given.
/// </summary>
/// <remarks>The query geometry (nearest source pixel, local offsets, scale token) always comes from the full
/// sizes (<see cref="LiffGrid"/>), so a window's values equal the same pixels of a whole-layer prediction as long as
/// the source window reaches <see cref="ICompassNetworks.LiffRadius"/> pixels beyond the nearest source pixel of
/// every target pixel (or the layer's edge).</remarks>
[Experimental(ExperimentalApis.Backend)]
public readonly record struct LiffWindow(int SourceWidth, int SourceHeight, PixelRect Source, int TargetWidth, int TargetHeight, PixelRect Target)
{
    /// <summary>The whole previous layer predicting the whole target layer.</summary>
    public static LiffWindow Whole(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight) =>
        new(sourceWidth, sourceHeight, PixelRect.Whole(sourceWidth, sourceHeight), targetWidth, targetHeight, PixelRect.Whole(targetWidth, targetHeight));

    /// <summary>Whether the window is the whole call.</summary>
    public bool IsWhole => Source == PixelRect.Whole(SourceWidth, SourceHeight) && Target == PixelRect.Whole(TargetWidth, TargetHeight);
}
