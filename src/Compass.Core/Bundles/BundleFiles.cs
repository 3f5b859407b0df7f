using System.Diagnostics.CodeAnalysis;
namespace Compass.Bundles;

/// <summary>
/// The file and tensor names of a COMPASS model bundle, format 1 (docs/model-bundle.md): the one
/// definition the exporter (Compass.Training) and the runtime (Compass.Onnx) share.
/// </summary>
[Experimental(ExperimentalApis.Backend)]
public static class BundleFiles
{
    /// <summary>Folder of the base-layer codec.</summary>
    public const string BasePrefix = "bl/";

    /// <summary>Folder of the residual (enhancement-layer) codec.</summary>
    public const string ResidualPrefix = "el/";

    /// <summary>g_a then h_a: <c>x</c> [1,3,H,W] to <c>y</c> [1,M,ceil(H/16),ceil(W/16)] and <c>z</c> [1,N,ceil(H/64),ceil(W/64)].</summary>
    public const string Analysis = "analysis.onnx";

    /// <summary>h_s: <c>z_hat</c> [1,N,zh,zw] and <c>y_size</c> int64 [2] to <c>scales</c> and <c>means</c> [1,M,yh,yw].</summary>
    public const string HyperSynthesis = "hyper_synthesis.onnx";

    /// <summary>g_s: <c>y_hat</c> [1,M,yh,yw] and <c>image_size</c> int64 [2] (H, W) to <c>x_hat</c> [1,3,H,W].</summary>
    public const string Synthesis = "synthesis.onnx";

    /// <summary>The codec's integer entropy tables (<see cref="EntropyTablesFile"/>).</summary>
    public const string Entropy = "entropy.json";

    /// <summary>
    /// The scale branch of h_s in fixed point (<see cref="Determinism.FixedPointHyperScales"/>): makes the y table
    /// indexes identical on every machine (entropy path 2). Optional: a bundle without it encodes with path 1.
    /// </summary>
    public const string HyperScales = Determinism.FixedPointHyperScales.BundleFileName;

    /// <summary>LIFF per-source-pixel tensors: <c>x</c> [1,3,h,w] to <c>first</c>, <c>filters</c>, <c>bias</c>.</summary>
    public const string LiffFeatures = "liff/features.onnx";

    /// <summary>LIFF per-target-pixel query: <c>first</c>, <c>filters</c>, <c>bias</c>, <c>index</c>, <c>coord</c>, <c>cell</c> to <c>rgb</c> [n,3].</summary>
    public const string LiffPredict = "liff/predict.onnx";

    /// <summary>The prefix of a codec's files.</summary>
    public static string Prefix(Pipeline.CodecRole role) => role == Pipeline.CodecRole.Base ? BasePrefix : ResidualPrefix;

    /// <summary>Every file a bundle must list.</summary>
    public static IReadOnlyList<string> Required { get; } =
    [
        BasePrefix + Analysis, BasePrefix + HyperSynthesis, BasePrefix + Synthesis, BasePrefix + Entropy,
        ResidualPrefix + Analysis, ResidualPrefix + HyperSynthesis, ResidualPrefix + Synthesis, ResidualPrefix + Entropy,
        LiffFeatures, LiffPredict,
    ];
}
