using System.Numerics;

namespace Compass.EntropyCoding;

/// <summary>
/// Maps predicted Gaussian scales to entropy-table indexes exactly as CompressAI's
/// <c>GaussianConditional.build_indexes</c> does, using only float32 comparisons against the scale
/// table. No transcendental function runs, so the encoder and the decoder always agree.
/// </summary>
/// <remarks>
/// The index of scale <c>s</c> is <c>n - 1</c> minus the number of entries of
/// <c>table[0 .. n-2]</c> with <c>max(s, lowerBound) &lt;= table[i]</c>. For a sorted table this is
/// the first entry at or above the scale, capped at <c>n - 1</c>. A NaN scale maps to <c>n - 1</c>,
/// as in PyTorch.
/// </remarks>
public sealed class ScaleTableIndexer
{
    /// <summary>CompressAI's lower bound on Gaussian scales.</summary>
    public const float DefaultLowerBound = 0.11f;

    private readonly float[] _thresholds;
    private readonly float _lowerBound;

    /// <summary>Creates the indexer for a scale table (one scale per Gaussian table, ascending).</summary>
    /// <param name="scaleTable">The scales the tables were built for; at least one.</param>
    /// <param name="lowerBound">Scales below this are raised to it first.</param>
    /// <exception cref="CompassFormatException">The table is empty, not finite or not ascending.</exception>
    public ScaleTableIndexer(ReadOnlySpan<float> scaleTable, float lowerBound = DefaultLowerBound)
    {
        if (scaleTable.IsEmpty) throw new CompassFormatException("Scale table is empty.");
        for (int i = 0; i < scaleTable.Length; i++)
        {
            if (!float.IsFinite(scaleTable[i]) || (i > 0 && scaleTable[i] <= scaleTable[i - 1]))
                throw new CompassFormatException($"Scale table entry {i} ({scaleTable[i]}) is not finite and ascending.");
        }
        // The last scale is never compared: everything above the second to last maps to the last table.
        _thresholds = scaleTable[..^1].ToArray();
        _lowerBound = lowerBound;
        TableCount = scaleTable.Length;
    }

    /// <summary>Number of tables (length of the scale table).</summary>
    public int TableCount { get; }

    /// <summary>The table index for one scale.</summary>
    public int GetIndex(float scale)
    {
        if (scale < _lowerBound) scale = _lowerBound;
        int index = TableCount - 1;
        foreach (float threshold in _thresholds)
        {
            if (scale <= threshold) index--;
        }
        return index;
    }

    /// <summary>
    /// The table indexes at quantisation step D = <paramref name="stepQ16"/> / 65536: the index of scale / D, computed
    /// exactly by comparing the scale with threshold * D in double (a float32 times a 24-bit integer, scaled by 2^-16, is
    /// exact), so the rule is <see cref="GetIndex"/>'s with no rounding of scale / D. Step 1 is <see cref="GetIndexes(ReadOnlySpan{float}, Span{int})"/>.
    /// </summary>
    internal void GetIndexes(ReadOnlySpan<float> scales, Span<int> indexes, int stepQ16)
    {
        if (stepQ16 == Pipeline.QuantizationSteps.UnitStepQ16)
        {
            GetIndexes(scales, indexes);
            return;
        }
        if (scales.Length != indexes.Length)
            throw new ArgumentException($"{scales.Length} scales but {indexes.Length} indexes.", nameof(indexes));
        // max(s / D, lb) <= t  <=>  lb <= t && s <= t * D (NaN: false, as torch.max keeps it).
        var scaled = new List<double>(_thresholds.Length);
        foreach (float threshold in _thresholds)
        {
            if (_lowerBound <= threshold) scaled.Add(Math.ScaleB(threshold * (double)stepQ16, -16));
        }
        for (int i = 0; i < scales.Length; i++)
        {
            double s = scales[i];
            int index = TableCount - 1;
            foreach (double t in scaled)
            {
                if (s <= t) index--;
            }
            indexes[i] = index;
        }
    }

    /// <summary>Writes the table index of every scale into <paramref name="indexes"/> (same length).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public void GetIndexes(ReadOnlySpan<float> scales, Span<int> indexes)
    {
        if (scales.Length != indexes.Length)
            throw new ArgumentException($"{scales.Length} scales but {indexes.Length} indexes.", nameof(indexes));

        int i = 0;
        if (Vector.IsHardwareAccelerated && scales.Length >= Vector<float>.Count)
        {
            var bound = new Vector<float>(_lowerBound);
            var last = new Vector<int>(TableCount - 1);
            for (; i <= scales.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var s = new Vector<float>(scales[i..]);
                // max(s, bound) that keeps NaN, like torch.max.
                s = Vector.ConditionalSelect(Vector.LessThan(s, bound), bound, s);
                var index = last;
                foreach (float threshold in _thresholds)
                {
                    // A true comparison lane is all ones (-1), so adding it subtracts one.
                    index += Vector.LessThanOrEqual(s, new Vector<float>(threshold));
                }
                index.CopyTo(indexes[i..]);
            }
        }
        for (; i < scales.Length; i++) indexes[i] = GetIndex(scales[i]);
    }
}
