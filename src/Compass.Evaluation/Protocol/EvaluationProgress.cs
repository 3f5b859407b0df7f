namespace Compass.Evaluation;

/// <summary>Reported by <see cref="RdEvaluator"/> after each image of each setup and model.</summary>
/// <param name="Setup">The setup's name.</param>
/// <param name="Model">The model's name.</param>
/// <param name="ImageIndex">0-based index of the image just finished.</param>
/// <param name="ImageCount">Number of images.</param>
/// <param name="Image">The image's file name.</param>
/// <param name="Elapsed">Time spent on this image (all configurations and baselines not already cached).</param>
/// <param name="Summary">A short line of what was measured, e.g. the mean rate and PSNR of its COMPASS points.</param>
public readonly record struct EvaluationProgress(string Setup, string Model, int ImageIndex, int ImageCount, string Image, TimeSpan Elapsed, string Summary);
