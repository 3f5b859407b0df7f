using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Compass.Bitstream;

/// <summary>
/// The header of a Compass bitstream: which model made it, the layer plan, and how each layer was quantised
/// (<see cref="LayerRates"/>). Immutable.
/// </summary>
public sealed class BitstreamHeader : IEquatable<BitstreamHeader>
{
    /// <summary>Makes a header for the current format and entropy-path version, every layer at <paramref name="quality"/> and step 1.</summary>
    /// <param name="modelId">The identity of the model bundle that encodes (and must decode) the stream.</param>
    /// <param name="quality">The quality of every layer.</param>
    /// <param name="plan">The layer plan; not empty.</param>
    /// <exception cref="ArgumentException">The plan is empty.</exception>
    public BitstreamHeader(ModelIdentity modelId, Quality quality, LayerPlan plan)
        : this(modelId, quality, plan, BitstreamFormat.EntropyPathVersion)
    {
    }

    /// <summary>Makes a header with an explicit entropy-path version (one this library knows), every layer at <paramref name="quality"/> and step 1.</summary>
    /// <param name="modelId">The identity of the model bundle that encodes (and must decode) the stream.</param>
    /// <param name="quality">The quality of every layer.</param>
    /// <param name="plan">The layer plan; not empty.</param>
    /// <param name="entropyPathVersion">See <see cref="EntropyPathVersion"/>.</param>
    /// <exception cref="ArgumentException">The plan is empty or the entropy-path version is unknown.</exception>
    public BitstreamHeader(ModelIdentity modelId, Quality quality, LayerPlan plan, byte entropyPathVersion)
        : this(modelId, plan, Enumerable.Repeat(LayerRate.AtUnitStep(quality), plan.Count).ToArray(), entropyPathVersion)
    {
    }

    /// <summary>Makes a header for the current format version with a rate per layer.</summary>
    /// <param name="modelId">The identity of the model bundle that encodes (and must decode) the stream.</param>
    /// <param name="plan">The layer plan; not empty.</param>
    /// <param name="layerRates">One quality and step per layer of <paramref name="plan"/>.</param>
    /// <param name="entropyPathVersion">See <see cref="EntropyPathVersion"/>.</param>
    /// <param name="flags">The flags byte (only <see cref="BitstreamFormat.KnownFlags"/>).</param>
    /// <exception cref="ArgumentException">The plan is empty, the rates do not match it, or a version or flag is unknown.</exception>
    public BitstreamHeader(ModelIdentity modelId, LayerPlan plan, IReadOnlyList<LayerRate> layerRates, byte entropyPathVersion = BitstreamFormat.EntropyPathVersion, BitstreamFlags flags = BitstreamFlags.None)
        : this(BitstreamFormat.Version, modelId, plan, layerRates, entropyPathVersion, flags)
    {
    }

    /// <summary>Any readable version: the reader makes version-1 headers with this.</summary>
    internal BitstreamHeader(byte version, ModelIdentity modelId, LayerPlan plan, IReadOnlyList<LayerRate> layerRates, byte entropyPathVersion, BitstreamFlags flags)
    {
        ArgumentNullException.ThrowIfNull(layerRates);
        if (plan.Count == 0)
        {
            throw new ArgumentException("The layer plan is empty (default(LayerPlan)).", nameof(plan));
        }
        if (layerRates.Count != plan.Count)
        {
            throw new ArgumentException($"{layerRates.Count} layer rates for a plan of {plan.Count} layers; give one per layer.", nameof(layerRates));
        }
        if (!BitstreamFormat.IsKnownEntropyPathVersion(entropyPathVersion))
        {
            throw new ArgumentOutOfRangeException(nameof(entropyPathVersion), entropyPathVersion, $"Entropy-path version {entropyPathVersion} is unknown; this library knows versions {BitstreamFormat.FloatEntropyPath} and {BitstreamFormat.FixedPointEntropyPath}.");
        }
        if ((flags & ~BitstreamFormat.KnownFlags) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(flags), flags, $"Flags 0x{(int)flags:x2} include bits this format does not define.");
        }
        if (version == 1 && (flags != BitstreamFlags.None || layerRates.Any(r => r != LayerRate.AtUnitStep(layerRates[0].Quality)) || !layerRates[0].Quality.IsWholeNumber))
        {
            throw new ArgumentException("A version-1 header holds one whole-number quality, step 1 and no flags.", nameof(layerRates));
        }
        Version = version;
        ModelId = modelId;
        Plan = plan;
        LayerRates = layerRates.ToArray();
        EntropyPathVersion = entropyPathVersion;
        Flags = flags;
    }

    /// <summary>The format version: <see cref="BitstreamFormat.Version"/> for headers made here, 1 for an old stream read back.</summary>
    public byte Version { get; }

    /// <summary>
    /// The version of the deterministic entropy-parameter path the encoder used; a decoder must use the
    /// same one (see <see cref="BitstreamFormat.EntropyPathVersion"/>).
    /// </summary>
    public byte EntropyPathVersion { get; }

    /// <summary>The identity (SHA-256) of the model bundle the stream was made with.</summary>
    public ModelIdentity ModelId { get; }

    /// <summary>The base layer's quality (every layer's, unless <see cref="LayerRates"/> says otherwise).</summary>
    public Quality Quality => LayerRates[0].Quality;

    /// <summary>Each layer's quality and exact quantisation step, base layer first.</summary>
    public IReadOnlyList<LayerRate> LayerRates { get; }

    /// <summary>The flags byte.</summary>
    public BitstreamFlags Flags { get; }

    /// <summary>The layer sizes, base layer first; one chunk per layer follows the header.</summary>
    public LayerPlan Plan { get; }

    /// <summary>Size of this header in the stream, in bytes.</summary>
    public int Size => BitstreamFormat.HeaderSize(Version, Plan.Count);

    /// <summary>
    /// Reads the header from the first bytes of a stream, for clients that fetch a stream in pieces (an HTTP
    /// <c>Range</c> request for the header, then only the layers they need). Returns false while
    /// <paramref name="prefix"/> is too short, with <paramref name="bytesNeeded"/> saying how many bytes to have
    /// next: first the 41 fixed bytes (they hold the layer count), then the whole header (45 + 10 per layer).
    /// The header is checked exactly as <see cref="BitstreamReader.ReadHeader"/> checks it; bytes after it are ignored.
    /// </summary>
    /// <param name="prefix">The stream's first bytes (any number, the whole stream included).</param>
    /// <param name="header">The header when the method returns true, else null.</param>
    /// <param name="bytesNeeded">The header's size in bytes when the method returns true; otherwise the length
    /// <paramref name="prefix"/> must have for the next call to progress (more than its length now).</param>
    /// <param name="limits">Limits for untrusted input; <see cref="BitstreamLimits.Default"/> when null.</param>
    /// <returns>Whether <paramref name="prefix"/> held the whole header.</returns>
    /// <exception cref="CompassFormatException">The bytes present are not a valid header start (wrong magic,
    /// unknown version, bad layer count) or the complete header is invalid (CRC mismatch, bad field).</exception>
    public static bool TryRead(ReadOnlySpan<byte> prefix, [NotNullWhen(true)] out BitstreamHeader? header, out int bytesNeeded, BitstreamLimits? limits = null)
    {
        int needed = BitstreamFormat.FixedHeaderSize;
        if (prefix.Length >= BitstreamFormat.FixedHeaderSize)
        {
            // Unknown versions and counts are left to the reader below, which names them.
            byte version = prefix[BitstreamFormat.VersionOffset];
            int count = prefix[BitstreamFormat.LayerCountOffset];
            if (version is >= BitstreamFormat.OldestReadableVersion and <= BitstreamFormat.Version && count is >= 1 and <= LayerPlan.MaxLayerCount)
            {
                needed = BitstreamFormat.HeaderSize(version, count);
            }
        }
        var reader = new OffsetReader(new MemoryStream(prefix[..Math.Min(prefix.Length, needed)].ToArray(), writable: false));
        try
        {
            var read = HeaderCodec.ReadAsync(reader, limits ?? BitstreamLimits.Default, requireValidCrc: true, sync: true, default);
            Debug.Assert(read.IsCompleted, "sync path must complete synchronously");
            header = read.GetAwaiter().GetResult().Header;
            bytesNeeded = header.Size;
            return true;
        }
        catch (CompassFormatException ex) when (ex.IsTruncation && prefix.Length < needed)
        {
            header = null;
            bytesNeeded = needed;
            return false;
        }
    }

    /// <summary>Throws when the stream was made with another model than <paramref name="expected"/>.</summary>
    /// <param name="expected">The identity of the model bundle the caller decodes with.</param>
    /// <exception cref="CompassFormatException">The identities differ.</exception>
    public void EnsureModel(ModelIdentity expected)
    {
        if (ModelId != expected)
        {
            throw new CompassFormatException(CompassFormatErrorKind.ModelMismatch, $"The bitstream was made with model {ModelId}, not with the loaded model {expected}.", BitstreamFormat.ModelIdOffset);
        }
    }

    /// <inheritdoc/>
    public bool Equals(BitstreamHeader? other) =>
        other is not null && Version == other.Version && EntropyPathVersion == other.EntropyPathVersion && ModelId == other.ModelId
        && Flags == other.Flags && Plan == other.Plan && LayerRates.SequenceEqual(other.LayerRates);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as BitstreamHeader);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Version, EntropyPathVersion, ModelId, LayerRates[0], Plan, Flags);

    /// <summary>A one-line summary, e.g. <c>Compass v2, entropy path 2, quality 3, plan 192x128,384x256, model 3f2a...</c> (all qualities when layers differ).</summary>
    public override string ToString() => $"Compass v{Version}, entropy path {EntropyPathVersion}, quality {DescribeQualities()}, plan {Plan}, model {ModelId}";

    /// <summary>The quality, or each layer's (comma-separated) when they differ.</summary>
    internal string DescribeQualities() =>
        LayerRates.All(r => r.Quality == Quality) ? Quality.ToString() : string.Join(",", LayerRates.Select(r => r.Quality.ToString()));
}
