using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Compass.Bundles;

/// <summary>
/// The <c>config</c> object of a COMPASS bundle manifest: the sizes a reader checks the graphs against.
/// <code>
/// "config": { "base": { "N": 128, "M": 192 }, "residual": { "N": 128, "M": 192 },
///             "liff": { "featureWidth": 64, "blocks": 4, "layersPerBlock": 4, "growthRate": 32, "hiddenWidth": 256, "hiddenLayers": 3 } }
/// </code>
/// </summary>
/// <param name="Base">The base-layer codec's widths.</param>
/// <param name="Residual">The residual codec's widths.</param>
/// <param name="Liff">The LIFF architecture.</param>
[Experimental(ExperimentalApis.Backend)]
public sealed record BundleConfig(BundleConfig.Codec Base, BundleConfig.Codec Residual, BundleConfig.LiffSizes Liff)
{
    /// <summary>A mean-scale codec's widths: N (transforms and z) and M (y).</summary>
    /// <param name="N">Channels of the transforms and of z.</param>
    /// <param name="M">Channels of y.</param>
    public sealed record Codec(int N, int M);

    /// <summary>The LIFF architecture (Compass.Training's LiffConfig).</summary>
    /// <param name="FeatureWidth">Channels of the feature network.</param>
    /// <param name="Blocks">Residual dense blocks of the feature network.</param>
    /// <param name="LayersPerBlock">Convolutions per dense block.</param>
    /// <param name="GrowthRate">Growth rate of each dense layer.</param>
    /// <param name="HiddenWidth">Width of the per-pixel filter MLP.</param>
    /// <param name="HiddenLayers">Hidden layers of the per-pixel filter MLP.</param>
    public sealed record LiffSizes(int FeatureWidth, int Blocks, int LayersPerBlock, int GrowthRate, int HiddenWidth, int HiddenLayers);

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The config as a JSON object.</summary>
    public JsonElement ToJson()
    {
        var json = $$"""
            {"base":{"N":{{Base.N}},"M":{{Base.M}}},"residual":{"N":{{Residual.N}},"M":{{Residual.M}}},"liff":{{JsonSerializer.Serialize(Liff, Options)}}}
            """;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>Reads and validates the config of a manifest.</summary>
    /// <exception cref="CompassFormatException">Missing or not positive.</exception>
    public static BundleConfig Parse(JsonElement? config, string source)
    {
        if (config is not { ValueKind: JsonValueKind.Object } root)
            throw new CompassFormatException($"Model bundle '{source}': manifest.json has no 'config' object (codec and LIFF sizes); it is not a COMPASS bundle.");
        var liff = Object(root, "liff", source);
        return new BundleConfig(
            ReadCodec(root, "base", source),
            ReadCodec(root, "residual", source),
            new LiffSizes(Int(liff, "featureWidth", source), Int(liff, "blocks", source), Int(liff, "layersPerBlock", source),
                Int(liff, "growthRate", source), Int(liff, "hiddenWidth", source), Int(liff, "hiddenLayers", source, allowZero: true)));
    }

    private static Codec ReadCodec(JsonElement root, string name, string source)
    {
        var codec = Object(root, name, source);
        return new Codec(Int(codec, "N", source), Int(codec, "M", source));
    }

    private static JsonElement Object(JsonElement parent, string name, string source) =>
        parent.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object
            ? e
            : throw new CompassFormatException($"Model bundle '{source}': config has no '{name}' object.");

    private static int Int(JsonElement parent, string name, string source, bool allowZero = false) =>
        parent.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) && (v > 0 || (allowZero && v == 0))
            ? v
            : throw new CompassFormatException($"Model bundle '{source}': config '{name}' must be a {(allowZero ? "non-negative" : "positive")} integer.");
}
