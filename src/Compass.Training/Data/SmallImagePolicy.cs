namespace Compass.Training.Data;

/// <summary>What the dataset does with an image smaller than the crop in either dimension.</summary>
public enum SmallImagePolicy
{
    /// <summary>
    /// Leave it out (logged once with the count). The default: an upscaled photo is blurrier than
    /// the images the codec will see and teaches it the wrong statistics.
    /// </summary>
    Skip,

    /// <summary>Upscale it (bicubic, aspect kept) so its shorter side equals the crop size.</summary>
    Upscale,
}
