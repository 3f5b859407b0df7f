namespace Compass.Bitstream;

/// <summary>
/// The header of a Compass bitstream: which model and quality made it, and the layer plan. Immutable.
/// </summary>
public sealed class BitstreamHeader : IEquatable<BitstreamHeader>
{
    /// <summary>Makes a header for the current format and entropy-path version.</summary>
    /// <param name="modelId">The identity of the model bundle that encodes (and must decode) the stream.</param>
    /// <param name="quality">The quality level.</param>
    /// <param name="plan">The layer plan; not empty.</param>
    /// <exception cref="ArgumentException">The plan is empty.</exception>
    public BitstreamHeader(ModelIdentity modelId, Quality quality, LayerPlan plan)
        : this(modelId, quality, plan, BitstreamFormat.EntropyPathVersion)
    {
    }

    /// <summary>Makes a header with an explicit entropy-path version (one this library knows).</summary>
    /// <param name="modelId">The identity of the model bundle that encodes (and must decode) the stream.</param>
    /// <param name="quality">The quality level.</param>
    /// <param name="plan">The layer plan; not empty.</param>
    /// <param name="entropyPathVersion">See <see cref="EntropyPathVersion"/>.</param>
    /// <exception cref="ArgumentException">The plan is empty or the entropy-path version is unknown.</exception>
    public BitstreamHeader(ModelIdentity modelId, Quality quality, LayerPlan plan, byte entropyPathVersion)
    {
        if (plan.Count == 0)
        {
            throw new ArgumentException("The layer plan is empty (default(LayerPlan)).", nameof(plan));
        }
        if (!BitstreamFormat.IsKnownEntropyPathVersion(entropyPathVersion))
        {
            throw new ArgumentOutOfRangeException(nameof(entropyPathVersion), entropyPathVersion, $"Entropy-path version {entropyPathVersion} is unknown; this library knows versions {BitstreamFormat.FloatEntropyPath} and {BitstreamFormat.FixedPointEntropyPath}.");
        }
        ModelId = modelId;
        Quality = quality;
        Plan = plan;
        EntropyPathVersion = entropyPathVersion;
    }

    /// <summary>The format version (<see cref="BitstreamFormat.Version"/>).</summary>
    public byte Version => BitstreamFormat.Version;

    /// <summary>
    /// The version of the deterministic entropy-parameter path the encoder used; a decoder must use the
    /// same one (see <see cref="BitstreamFormat.EntropyPathVersion"/>).
    /// </summary>
    public byte EntropyPathVersion { get; }

    /// <summary>The identity (SHA-256) of the model bundle the stream was made with.</summary>
    public ModelIdentity ModelId { get; }

    /// <summary>The quality level (which levels exist depends on the model).</summary>
    public Quality Quality { get; }

    /// <summary>The layer sizes, base layer first; one chunk per layer follows the header.</summary>
    public LayerPlan Plan { get; }

    /// <summary>Size of this header in the stream, in bytes.</summary>
    public int Size => BitstreamFormat.HeaderSize(Plan.Count);

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
        other is not null && EntropyPathVersion == other.EntropyPathVersion && ModelId == other.ModelId && Quality == other.Quality && Plan == other.Plan;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as BitstreamHeader);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(EntropyPathVersion, ModelId, Quality, Plan);

    /// <summary>A one-line summary, e.g. <c>Compass v1, entropy path 1, quality 3, plan 192x128,384x256, model 3f2a...</c>.</summary>
    public override string ToString() => $"Compass v{Version}, entropy path {EntropyPathVersion}, quality {Quality}, plan {Plan}, model {ModelId}";
}
