namespace Compass.EntropyCoding;

/// <summary>
/// Builds the per-channel entropy tables of a fully factorised prior (CompressAI's
/// <c>EntropyBottleneck.update()</c>) from pmfs sampled from the learned CDF network at export time.
/// </summary>
/// <remarks>
/// The exporter works in this order. It gets each channel's support from its quantiles with
/// <see cref="GetSupport"/>. It evaluates the CDF network at <c>pmfStart + k ± 0.5</c> for
/// <c>k = 0 .. pmfLength - 1</c>, where <c>pmf = |sigmoid(sign·upper) - sigmoid(sign·lower)|</c>
/// and <c>tail = sigmoid(lower[0]) + sigmoid(-upper[last])</c>. Then it calls <see cref="FromPmfs"/>.
/// </remarks>
public static class FactorizedTableBuilder
{
    /// <summary>The coded range of one channel of a factorised prior.</summary>
    /// <param name="Offset">The symbol of index 0 (symbols are <c>round(z - median)</c>), never positive.</param>
    /// <param name="PmfLength">Number of regular symbols.</param>
    /// <param name="PmfStart">The latent value <c>median - minima</c> at which sampling of the pmf starts.</param>
    public readonly record struct Support(int Offset, int PmfLength, float PmfStart);

    /// <summary>
    /// The support of a channel from its learned quantiles (lower tail, median, upper tail), computed
    /// in float32 as CompressAI does: <c>minima = max(ceil(median - lower), 0)</c>,
    /// <c>maxima = max(ceil(upper - median), 0)</c>, <c>offset = -minima</c>,
    /// <c>pmfLength = minima + maxima + 1</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A quantile is not finite or the range is too wide for 16-bit tables.</exception>
    public static Support GetSupport(float lower, float median, float upper)
    {
        if (!float.IsFinite(lower) || !float.IsFinite(median) || !float.IsFinite(upper))
            throw new ArgumentException($"Quantiles ({lower}, {median}, {upper}) must be finite.");
        float minima = Math.Max(MathF.Ceiling(median - lower), 0f);
        float maxima = Math.Max(MathF.Ceiling(upper - median), 0f);
        if (minima + maxima + 1 > QuantizedCdfTable.Total - 2)
            throw new ArgumentException($"Quantiles ({lower}, {median}, {upper}) span more symbols than a 16-bit table holds.");
        return new Support(-(int)minima, (int)minima + (int)maxima + 1, median - minima);
    }

    /// <summary>Builds one table per channel from its pmf and tail mass.</summary>
    /// <param name="pmfs">Per channel, the probabilities of its <c>PmfLength</c> regular symbols (float32, as sampled).</param>
    /// <param name="tailMasses">Per channel, the mass outside the range (becomes the escape symbol).</param>
    /// <param name="offsets">Per channel, the symbol of index 0 (<see cref="Support.Offset"/>).</param>
    /// <exception cref="ArgumentException">The counts differ or a pmf is not valid (see <see cref="PmfQuantizer.ToQuantizedCdf"/>).</exception>
    public static QuantizedCdfTable FromPmfs(IReadOnlyList<float[]> pmfs, ReadOnlySpan<float> tailMasses, ReadOnlySpan<int> offsets)
    {
        ArgumentNullException.ThrowIfNull(pmfs);
        if (pmfs.Count == 0) throw new ArgumentException("No channels.", nameof(pmfs));
        if (tailMasses.Length != pmfs.Count || offsets.Length != pmfs.Count)
            throw new ArgumentException($"{pmfs.Count} pmfs, {tailMasses.Length} tail masses and {offsets.Length} offsets.");

        var cdfs = new int[pmfs.Count][];
        for (int c = 0; c < pmfs.Count; c++)
        {
            var pmf = pmfs[c] ?? throw new ArgumentException($"pmf of channel {c} is missing.", nameof(pmfs));
            // CompressAI appends the tail mass as the last (escape) symbol before quantising.
            var withTail = new float[pmf.Length + 1];
            pmf.CopyTo(withTail, 0);
            withTail[^1] = tailMasses[c];
            cdfs[c] = PmfQuantizer.ToQuantizedCdf(withTail);
        }
        return QuantizedCdfTable.Create(cdfs, offsets);
    }
}
