namespace Compass.Pipeline;

/// <summary>
/// The query geometry of one LIFF call (docs/method.md#liff): for a source (low-res) image of
/// <c>h x w</c> pixels and a target of <c>H x W</c> pixels, the nearest source pixel of every target
/// row and column, the local coordinate of the target pixel centre relative to that source pixel
/// centre (in source-pixel units, in [-1, 1]), and the scale token <c>s = (2h/H, 2w/W)</c>.
/// </summary>
/// <remarks>
/// <para>The mapping is separable: the source row <c>i'</c> and <c>r_y</c> depend only on the target row
/// <c>i</c>, the source column and <c>r_x</c> only on the target column. The arrays are therefore
/// <c>H + W</c> long, not <c>H * W</c>; training (TorchSharp) and inference (ONNX inputs) both
/// expand them from here, so encoder and decoder always agree on the indices.</para>
/// <para>Every value is computed in float32 exactly as the official code does (make_coord,
/// clamp to <c>1 - 1e-6</c>, grid_sample nearest with <c>align_corners=False</c>): target centre
/// <c>c = (float)(i * (float)(2/H)) + (float)(-1 + 1/H)</c>, clamped; unnormalised source coordinate
/// <c>u = (c + 1) * (float)(h/2) - 0.5</c>; <c>i' = round(u)</c>. This reproduces the official
/// indices exactly and the official <c>rel_coord</c> bit for bit.</para>
/// <para><b>Tie rule.</b> When <c>u</c> lies exactly half-way between two source pixels (e.g. h = 2,
/// H = 3, middle row: <c>u = 0.5</c>), the even source index wins (round half to even, like
/// <c>nearbyint</c> inside torch's grid_sample). Because <c>u</c> is the float32 value, a target
/// centre that is a tie only in exact arithmetic may round either way; this class is the single
/// definition used everywhere. Indices are finally clamped to the source image (only reachable
/// for sizes above a million pixels, where torch would sample zero padding instead).</para>
/// </remarks>
internal sealed class LiffGrid
{
    private LiffGrid(int sourceHeight, int sourceWidth, int targetHeight, int targetWidth,
        int[] rowIndex, int[] columnIndex, float[] rowOffset, float[] columnOffset, float scaleY, float scaleX)
    {
        SourceHeight = sourceHeight;
        SourceWidth = sourceWidth;
        TargetHeight = targetHeight;
        TargetWidth = targetWidth;
        RowIndex = rowIndex;
        ColumnIndex = columnIndex;
        RowOffset = rowOffset;
        ColumnOffset = columnOffset;
        ScaleY = scaleY;
        ScaleX = scaleX;
    }

    /// <summary>Source (low-res) height h.</summary>
    public int SourceHeight { get; }

    /// <summary>Source (low-res) width w.</summary>
    public int SourceWidth { get; }

    /// <summary>Target (high-res) height H.</summary>
    public int TargetHeight { get; }

    /// <summary>Target (high-res) width W.</summary>
    public int TargetWidth { get; }

    /// <summary>Nearest source row i' for each target row i (length H).</summary>
    public int[] RowIndex { get; }

    /// <summary>Nearest source column j' for each target column j (length W).</summary>
    public int[] ColumnIndex { get; }

    /// <summary>Local coordinate r_y(i) in [-1, 1] for each target row (the MLP input after the features).</summary>
    public float[] RowOffset { get; }

    /// <summary>Local coordinate r_x(j) in [-1, 1] for each target column.</summary>
    public float[] ColumnOffset { get; }

    /// <summary>Scale token, row component: 2h/H for the correct token.</summary>
    public float ScaleY { get; }

    /// <summary>Scale token, column component: 2w/W for the correct token.</summary>
    public float ScaleX { get; }

    /// <summary>Number of target pixels H * W.</summary>
    public int TargetPixels => TargetHeight * TargetWidth;

    /// <summary>Builds the grid for an <paramref name="sourceHeight"/> x <paramref name="sourceWidth"/> source
    /// and a <paramref name="targetHeight"/> x <paramref name="targetWidth"/> target, with the correct scale token.</summary>
    public static LiffGrid Create(int sourceHeight, int sourceWidth, int targetHeight, int targetWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetWidth, 1);
        var (rows, rowOffsets) = Axis(sourceHeight, targetHeight);
        var (cols, colOffsets) = Axis(sourceWidth, targetWidth);
        return new LiffGrid(sourceHeight, sourceWidth, targetHeight, targetWidth, rows, cols, rowOffsets, colOffsets,
            ScaleToken(sourceHeight, targetHeight), ScaleToken(sourceWidth, targetWidth));
    }

    /// <summary>
    /// The same grid with the scale token computed from a different "cell" size, as the official
    /// <c>compass/model.py</c> does for the second enhancement layer (it passes the first EL's size).
    /// Only for reproducing that behaviour; use <see cref="Create"/> otherwise.
    /// </summary>
    public LiffGrid WithScaleTokenFromCell(int cellHeight, int cellWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cellHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cellWidth, 1);
        return new LiffGrid(SourceHeight, SourceWidth, TargetHeight, TargetWidth, RowIndex, ColumnIndex, RowOffset,
            ColumnOffset, ScaleToken(SourceHeight, cellHeight), ScaleToken(SourceWidth, cellWidth));
    }

    /// <summary>Flat source index <c>i' * w + j'</c> of every target pixel in row-major target order.</summary>
    public int[] FlatSourceIndex()
    {
        var result = new int[TargetPixels];
        for (int i = 0, p = 0; i < TargetHeight; i++)
        {
            int rowBase = RowIndex[i] * SourceWidth;
            for (int j = 0; j < TargetWidth; j++, p++) result[p] = rowBase + ColumnIndex[j];
        }
        return result;
    }

    /// <summary>Local coordinates of every target pixel, row-major, interleaved (r_y, r_x): length 2 * H * W.</summary>
    public float[] FlatOffsets()
    {
        var result = new float[2 * TargetPixels];
        for (int i = 0, p = 0; i < TargetHeight; i++)
        {
            for (int j = 0; j < TargetWidth; j++, p += 2)
            {
                result[p] = RowOffset[i];
                result[p + 1] = ColumnOffset[j];
            }
        }
        return result;
    }

    /// <summary>Centre of pixel <paramref name="index"/> of an axis of <paramref name="count"/> pixels in (-1, 1),
    /// computed in float32 as the official <c>make_coord</c>: <c>(-1 + 1/n) + i * (2/n)</c>.</summary>
    internal static float PixelCentre(int index, int count)
    {
        float step = (float)(2.0 / count);
        float first = (float)(-1.0 + 1.0 / count);
        return (float)((float)index * step) + first;
    }

    private static (int[] Index, float[] Offset) Axis(int source, int target)
    {
        // Bounds of the official clamp, rounded to float32 like torch's clamp on a float tensor.
        const float Low = (float)(-1 + 1e-6);
        const float High = (float)(1 - 1e-6);
        float halfSource = (float)(source / 2.0);
        var index = new int[target];
        var offset = new float[target];
        for (int i = 0; i < target; i++)
        {
            float c = Math.Clamp(PixelCentre(i, target), Low, High);
            float u = (float)((float)(c + 1f) * halfSource) - 0.5f;
            int k = Math.Clamp((int)MathF.Round(u, MidpointRounding.ToEven), 0, source - 1);
            index[i] = k;
            offset[i] = (float)(c - PixelCentre(k, source)) * source;
        }
        return (index, offset);
    }

    // Official: cell = 2 / cellSize (a float32 tensor), then rel_cell = cell * sourceSize.
    private static float ScaleToken(int source, int cell) => (float)((float)(2.0 / cell) * source);
}
