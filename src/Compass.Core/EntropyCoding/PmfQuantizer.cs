namespace Compass.EntropyCoding;

/// <summary>
/// Turns a probability mass function into a 16-bit integer CDF. It follows CompressAI's
/// <c>pmf_to_quantized_cdf</c> step for step, so tables built here are identical to those in its
/// checkpoints.
/// </summary>
public static class PmfQuantizer
{
    /// <summary>
    /// Quantises <paramref name="pmf"/> (the regular symbols' probabilities followed by the tail mass,
    /// which becomes the escape symbol) into a CDF of <c>pmf.Length + 1</c> entries from 0 to 65536
    /// in which every symbol has a frequency of at least 1.
    /// </summary>
    /// <remarks>
    /// These are CompressAI's steps, in its order. First each p is scaled by 2^16 in float32 and
    /// rounded half away from zero. The counts are then renormalised to a 2^16 total with integer
    /// division and summed. The last entry is forced to 2^16. Last, every symbol left with frequency
    /// 0 takes one unit from the symbol with the smallest frequency above 1 (the first such symbol on
    /// a tie), which shifts the CDF entries between the two symbols.
    /// </remarks>
    /// <param name="pmf">Probabilities in [0, 1], float32 as CompressAI holds them; at most 65535 of them.</param>
    /// <returns>The quantised CDF.</returns>
    /// <exception cref="ArgumentException">A probability is negative, above 1 or not finite; all are zero; or there are too many symbols.</exception>
    public static int[] ToQuantizedCdf(ReadOnlySpan<float> pmf)
    {
        if (pmf.Length == 0 || pmf.Length >= QuantizedCdfTable.Total)
            throw new ArgumentException($"A pmf needs 1..{QuantizedCdfTable.Total - 1} entries, got {pmf.Length}.", nameof(pmf));

        const int total = QuantizedCdfTable.Total;
        var cdf = new int[pmf.Length + 1];
        long sum = 0;
        for (int i = 0; i < pmf.Length; i++)
        {
            float p = pmf[i];
            if (!(p >= 0f && p <= 1f))
                throw new ArgumentException($"pmf[{i}] = {p} is not a probability.", nameof(pmf));
            // float32 product (exact: a power of two) and round-half-away, as std::round on a float.
            cdf[i + 1] = (int)MathF.Round(p * total, MidpointRounding.AwayFromZero);
            sum += cdf[i + 1];
        }
        if (sum == 0) throw new ArgumentException("At least one pmf entry must be non-zero.", nameof(pmf));

        for (int i = 1; i < cdf.Length; i++) cdf[i] = (int)((long)total * cdf[i] / sum);
        for (int i = 1; i < cdf.Length; i++) cdf[i] += cdf[i - 1];
        cdf[^1] = total;

        for (int i = 0; i < cdf.Length - 1; i++)
        {
            if (cdf[i] != cdf[i + 1]) continue;
            int bestFreq = int.MaxValue;
            int bestSteal = -1;
            for (int j = 0; j < cdf.Length - 1; j++)
            {
                int freq = cdf[j + 1] - cdf[j];
                if (freq > 1 && freq < bestFreq)
                {
                    bestFreq = freq;
                    bestSteal = j;
                }
            }
            if (bestSteal < 0) throw new ArgumentException("No symbol has a frequency to spare.", nameof(pmf));
            if (bestSteal < i)
            {
                for (int j = bestSteal + 1; j <= i; j++) cdf[j]--;
            }
            else
            {
                for (int j = i + 1; j <= bestSteal; j++) cdf[j]++;
            }
        }
        return cdf;
    }
}
