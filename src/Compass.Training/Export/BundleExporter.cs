using System.Text.Json;
using Compass.Bundles;
using Compass.EntropyCoding;
using Compass.Training.Export.FixedPoint;
using Compass.Training.Modules;

namespace Compass.Training.Export;

/// <summary>
/// Writes a COMPASS model bundle (format 1, docs/model-bundle.md) from the TorchSharp modules: the base
/// codec (<c>bl/</c>), the residual codec (<c>el/</c>), LIFF (<c>liff/</c>), and <c>manifest.json</c> with
/// the file hashes, the architecture (<c>config</c>) and the model card.
/// </summary>
public static class BundleExporter
{
    /// <summary>Exports the three networks into <paramref name="outFolder"/> (created; existing bundle files are replaced).</summary>
    /// <param name="baseCodec">The base-layer codec.</param>
    /// <param name="liff">The LIFF predictor.</param>
    /// <param name="residualCodec">The enhancement-layer residual codec.</param>
    /// <param name="options">Name, preset, quality, lambda, card.</param>
    /// <param name="outFolder">The bundle folder.</param>
    /// <returns>The manifest written.</returns>
    public static ModelBundleManifest Export(MeanScaleHyperprior baseCodec, Liff liff, MeanScaleHyperprior residualCodec, BundleExportOptions options, string outFolder)
    {
        ArgumentNullException.ThrowIfNull(baseCodec);
        ArgumentNullException.ThrowIfNull(liff);
        ArgumentNullException.ThrowIfNull(residualCodec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(outFolder);

        var files = Files(baseCodec, liff, residualCodec, options.ScaleTable);
        var manifest = ModelBundleWriter.CreateManifest(
            options.Name, options.Preset, [options.Quality], options.Lambda is { } l ? [l] : [], files, options.Card, Config(baseCodec, liff, residualCodec));
        ModelBundleWriter.WriteFolder(outFolder, manifest, files);
        if (options.Zip)
        {
            var zipPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outFolder)) + ".zip";
            using var zip = File.Create(zipPath);
            ModelBundleWriter.WriteZip(zip, manifest, files);
        }
        return manifest;
    }

    /// <summary>The bundle's files (path to bytes), without the manifest.</summary>
    internal static Dictionary<string, byte[]> Files(MeanScaleHyperprior baseCodec, Liff liff, MeanScaleHyperprior residualCodec, float[]? scaleTable)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (prefix, codec) in new[] { (BundleFiles.BasePrefix, baseCodec), (BundleFiles.ResidualPrefix, residualCodec) })
        {
            // A bundle codes one rate point; the graphs would otherwise silently code at step 1, which is no level.
            if (codec.IsVariableRate)
                throw new ArgumentException($"The {(prefix == BundleFiles.BasePrefix ? "base" : "residual")} codec is variable-rate (qualities {string.Join(", ", codec.RateQualities)}): export one level, MeanScaleHyperprior.FoldRateLevel(quality).");
            files[prefix + BundleFiles.Analysis] = CodecExporter.Analysis(codec);
            files[prefix + BundleFiles.HyperSynthesis] = CodecExporter.HyperSynthesis(codec);
            files[prefix + BundleFiles.Synthesis] = CodecExporter.Synthesis(codec);
            files[prefix + BundleFiles.Entropy] = CodecExporter.EntropyTables(codec, scaleTable);
            // The same scale table as the Gaussian tables, so fixed-point indexes address those tables.
            files[prefix + BundleFiles.HyperScales] = FixedPointExporter.Build(
                codec, scaleTable ?? GaussianTableBuilder.DefaultScaleTable(), GaussianConditional.ScaleBound);
        }
        files[BundleFiles.LiffFeatures] = LiffExporter.Features(liff);
        files[BundleFiles.LiffPredict] = LiffExporter.Predict(liff);
        return files;
    }

    /// <summary>The manifest's <c>config</c>: codec widths and the LIFF architecture (read back by <see cref="BundleConfig"/>).</summary>
    internal static JsonElement Config(MeanScaleHyperprior baseCodec, Liff liff, MeanScaleHyperprior residualCodec)
    {
        var c = liff.Config;
        var config = new BundleConfig(
            new BundleConfig.Codec(baseCodec.N, baseCodec.M),
            new BundleConfig.Codec(residualCodec.N, residualCodec.M),
            new BundleConfig.LiffSizes(c.FeatureWidth, c.Blocks, c.LayersPerBlock, c.GrowthRate, c.HiddenWidth, c.HiddenLayers));
        return config.ToJson();
    }
}
