using System.Text.Json;
using System.Text.Json.Nodes;
using Compass.Bundles;
using Compass.EntropyCoding;
using Compass.Training.Export.FixedPoint;
using Compass.Training.Import;
using Compass.Training.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Export;

/// <summary>
/// Writes a COMPASS model bundle (docs/model-bundle.md) from the TorchSharp modules: the base codec (<c>bl/</c>), the
/// residual codec (<c>el/</c>), LIFF (<c>liff/</c>), the training state (<c>training/state.bin</c>, what the graphs do not
/// carry, so that the bundle alone restarts training) and <c>manifest.json</c> with the file hashes, the architecture
/// (<c>config</c>) and the model card. Single-rate networks give a format-1 bundle of one quality; variable-rate ones a
/// format-2 bundle whose graphs are the networks at step 1 and whose rate anchors carry both codecs' learned log-steps.
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
    /// <exception cref="ArgumentException">Single-rate networks without a quality;
    /// one variable-rate codec and one single-rate codec without <see cref="BundleExportOptions.DeriveStepsFromQuality"/>.</exception>
    public static ModelBundleManifest Export(MeanScaleHyperprior baseCodec, Liff liff, MeanScaleHyperprior residualCodec, BundleExportOptions options, string outFolder)
    {
        ArgumentNullException.ThrowIfNull(baseCodec);
        ArgumentNullException.ThrowIfNull(liff);
        ArgumentNullException.ThrowIfNull(residualCodec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(outFolder);

        bool variableRate = baseCodec.IsVariableRate || residualCodec.IsVariableRate;
        var anchors = variableRate ? Anchors(baseCodec, residualCodec, options.DeriveStepsFromQuality) : null;
        if (!variableRate && options.Quality is null)
            throw new ArgumentException("Single-rate networks code one quality: give BundleExportOptions.Quality.", nameof(options));
        var files = Files(baseCodec, liff, residualCodec, options.ScaleTable);
        files[TrainingStateFile.FileName] = TrainingState(baseCodec, liff, residualCodec, files, outFolder);
        var config = Config(baseCodec, liff, residualCodec);
        var manifest = anchors is not null
            ? ModelBundleWriter.CreateManifest(options.Name, options.Preset, anchors, files, CardWithDerivedSteps(options.Card, baseCodec, residualCodec, options.DeriveStepsFromQuality), config)
            : ModelBundleWriter.CreateManifest(options.Name, options.Preset, [options.Quality!.Value], options.Lambda is { } l ? [l] : [], files, options.Card, config);
        ModelBundleWriter.WriteFolder(outFolder, manifest, files);
        if (options.Zip)
        {
            var zipPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outFolder)) + ".zip";
            using var zip = File.Create(zipPath);
            ModelBundleWriter.WriteZip(zip, manifest, files);
        }
        return manifest;
    }

    /// <summary>
    /// The rate anchors of a variable-rate model: one per level, with both codecs' learned log-steps (a single-rate codec's
    /// derived by the rule from <paramref name="deriveFromQuality"/>) and the level's lambda. Two variable-rate codecs with
    /// different levels (a base codec grown to 0.25, 0.5, 1..8 with a residual codec of 1..8) give anchors at the union of
    /// their qualities; a codec's step at a quality it lacks is derived from its nearest level by the rule
    /// (<see cref="RateLevelSteps"/>), and the card says so (<c>derivedRateLevels</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Both codecs are single-rate, or one is single-rate and <paramref name="deriveFromQuality"/> is null.</exception>
    public static RateAnchors Anchors(MeanScaleHyperprior baseCodec, MeanScaleHyperprior residualCodec, int? deriveFromQuality = null)
    {
        ArgumentNullException.ThrowIfNull(baseCodec);
        ArgumentNullException.ThrowIfNull(residualCodec);
        if (!baseCodec.IsVariableRate && !residualCodec.IsVariableRate)
            throw new ArgumentException("Both codecs are single-rate: a single-rate bundle has no rate anchors.", nameof(baseCodec));
        var variable = baseCodec.IsVariableRate ? baseCodec : residualCodec;
        if (!(baseCodec.IsVariableRate && residualCodec.IsVariableRate) && deriveFromQuality is null)
        {
            string single = baseCodec.IsVariableRate ? "residual" : "base";
            throw new ArgumentException(
                $"The {(baseCodec.IsVariableRate ? "base" : "residual")} codec is variable-rate (qualities {variable.Levels}) and the {single} codec single-rate: " +
                $"give the quality the {single} codec was trained at (DeriveStepsFromQuality) to derive its steps by the rule, or export one level (MeanScaleHyperprior.FoldRateLevel(quality)).",
                nameof(deriveFromQuality));
        }
        var qualities = AnchorQualities(baseCodec, residualCodec);
        IReadOnlyList<double> LogSteps(MeanScaleHyperprior codec)
        {
            if (!codec.IsVariableRate)
                return [.. qualities.Select(q => (double)MeanScaleHyperprior.RuleLogStep(RateLadder.LambdaOf(deriveFromQuality!.Value), q))];
            var learned = codec.RateLogSteps().Select(v => (double)v).ToArray();
            return codec.RateQualities.SequenceEqual(qualities) ? learned
                : [.. RateLevelSteps.Map(codec.RateQualities, learned, qualities).Select(m => m.LogStep)];
        }
        var baseSteps = LogSteps(baseCodec);
        var residualSteps = LogSteps(residualCodec);
        var anchors = qualities
            .Select((q, i) => new RateAnchor(q, RateLadder.LambdaOf(q), baseSteps[i], residualSteps[i]))
            .OrderBy(a => a.Quality);
        return new RateAnchors(anchors);
    }

    /// <summary>
    /// The qualities of the rate anchors <see cref="Anchors"/> writes: the variable-rate codec's levels, or the union of both
    /// codecs' levels in increasing order (their common order when they are equal); empty when both are single-rate.
    /// </summary>
    public static IReadOnlyList<double> AnchorQualities(MeanScaleHyperprior baseCodec, MeanScaleHyperprior residualCodec)
    {
        ArgumentNullException.ThrowIfNull(baseCodec);
        ArgumentNullException.ThrowIfNull(residualCodec);
        if (!residualCodec.IsVariableRate) return baseCodec.RateQualities;
        if (!baseCodec.IsVariableRate || baseCodec.RateQualities.SequenceEqual(residualCodec.RateQualities)) return residualCodec.RateQualities;
        return [.. baseCodec.RateQualities.Union(residualCodec.RateQualities).Order()];
    }

    /// <summary>The bundle's files (path to bytes), without the manifest and the training state.</summary>
    internal static Dictionary<string, byte[]> Files(MeanScaleHyperprior baseCodec, Liff liff, MeanScaleHyperprior residualCodec, float[]? scaleTable)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (prefix, codec) in new[] { (BundleFiles.BasePrefix, baseCodec), (BundleFiles.ResidualPrefix, residualCodec) })
        {
            // A variable-rate codec's graphs are its networks at step 1: the runtime applies each quality's step around them.
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

    /// <summary>
    /// The training-state file: what <see cref="BundleWeights"/> cannot read back from <paramref name="files"/>' graphs, so that
    /// importing the bundle gives the modules' state dict exactly.
    /// </summary>
    internal static byte[] TrainingState(MeanScaleHyperprior baseCodec, Liff liff, MeanScaleHyperprior residualCodec, Dictionary<string, byte[]> files, string source)
    {
        var truth = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (prefix, module) in new (string, nn.Module)[] { ("base.", baseCodec), ("liff.", liff), ("residual.", residualCodec) })
        {
            // A module that sits inside a parent also lists its private module fields under their field names ("_sfe1.weight"):
            // aliases of the named entries, not weights of their own.
            foreach (var (key, value) in module.state_dict())
                if (!key.Split('.')[..^1].Any(part => part.StartsWith('_'))) truth[prefix + key] = value;
        }
        var fromGraphs = BundleWeights.FromGraphs(name => files.TryGetValue(name, out var bytes) ? bytes : null, source);
        try
        {
            return TrainingStateFile.Write(truth, fromGraphs);
        }
        finally
        {
            foreach (var t in fromGraphs.Values) t.Dispose();
        }
    }

    private static JsonElement? CardWithDerivedSteps(JsonElement? card, MeanScaleHyperprior baseCodec, MeanScaleHyperprior residualCodec, int? deriveFromQuality)
    {
        if (baseCodec.IsVariableRate && residualCodec.IsVariableRate)
            return baseCodec.RateQualities.SequenceEqual(residualCodec.RateQualities) ? card : CardWithDerivedLevels(card, baseCodec, residualCodec);
        var node = card is { ValueKind: JsonValueKind.Object } c ? JsonNode.Parse(c.GetRawText())!.AsObject() : new JsonObject();
        node["derivedRateSteps"] = new JsonObject
        {
            ["codec"] = baseCodec.IsVariableRate ? "residual" : "base",
            ["trainedAtQuality"] = deriveFromQuality,
            ["rule"] = "logStep(q) = 0.5 ln(lambda(trainedAtQuality) / lambda(q))",
        };
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    // Two variable-rate codecs with different levels: each anchor a codec lacks got its step from the codec's nearest level.
    private static JsonElement? CardWithDerivedLevels(JsonElement? card, MeanScaleHyperprior baseCodec, MeanScaleHyperprior residualCodec)
    {
        var node = card is { ValueKind: JsonValueKind.Object } c ? JsonNode.Parse(c.GetRawText())!.AsObject() : new JsonObject();
        var qualities = AnchorQualities(baseCodec, residualCodec);
        var derived = new JsonArray();
        foreach (var (name, codec) in new[] { ("base", baseCodec), ("residual", residualCodec) })
        {
            var missing = qualities.Where(q => !codec.RateQualities.Contains(q)).ToList();
            if (missing.Count == 0) continue;
            derived.Add(new JsonObject
            {
                ["codec"] = name,
                ["qualities"] = new JsonArray([.. missing.Select(q => JsonValue.Create(q))]),
                ["fromLevels"] = new JsonArray([.. missing.Select(q => JsonValue.Create(RateLevelSteps.Nearest(codec.RateQualities, q)))]),
                ["rule"] = "logStep(q) = logStep(nearest level) + 0.5 ln(lambda(nearest level) / lambda(q))",
            });
        }
        node["derivedRateLevels"] = derived;
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
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
