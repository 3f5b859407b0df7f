namespace Compass.Imaging;

/// <summary>
/// Limits an image loader checks against an untrusted file's header before it decodes any pixel: the adapter
/// packages' loaders (Compass.ImageSharp, Compass.SkiaSharp) and the <c>compass</c> tool use them, so a file that
/// claims a huge size or thousands of animation frames is refused before pixel memory is allocated.
/// </summary>
public sealed record ImageInputLimits
{
    /// <summary>Default pixel limit: 64 Mi pixels (e.g. 8192 x 8192).</summary>
    public const long DefaultMaxPixels = 64L * 1024 * 1024;

    /// <summary>Default frame limit: 64 (the codec keeps the first frame, but some decoders read them all).</summary>
    public const int DefaultMaxFrames = 64;

    /// <summary>The default limits.</summary>
    public static ImageInputLimits Default { get; } = new();

    /// <summary>Largest accepted width * height (at least 1).</summary>
    public long MaxPixels
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxPixels), value, "The pixel limit must be at least 1.");
    } = DefaultMaxPixels;

    /// <summary>Largest accepted number of frames (pages, animation frames; at least 1).</summary>
    public int MaxFrames
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxFrames), value, "The frame limit must be at least 1.");
    } = DefaultMaxFrames;

    /// <summary>Checks what a header says against the limits.</summary>
    /// <param name="width">Width from the header.</param>
    /// <param name="height">Height from the header.</param>
    /// <param name="frames">Number of frames from the header (1 for a still image).</param>
    /// <exception cref="CompassFormatException">The image has zero size, or more pixels or frames than allowed.</exception>
    public void Check(int width, int height, int frames)
    {
        if (width <= 0 || height <= 0)
            throw new CompassFormatException($"image has zero size: {width}x{height}");
        long pixels = (long)width * height;
        if (pixels > MaxPixels)
            throw new CompassFormatException(CompassFormatErrorKind.LimitExceeded, $"image too large: {width}x{height} exceeds the limit of {MaxPixels} pixels");
        if (frames > MaxFrames)
            throw new CompassFormatException(CompassFormatErrorKind.LimitExceeded, $"image has too many frames: {frames} exceeds the limit of {MaxFrames}");
    }
}
