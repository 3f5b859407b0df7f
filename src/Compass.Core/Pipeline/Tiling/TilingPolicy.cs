namespace Compass.Pipeline;

/// <summary>
/// How large layers are cut into tiles so that analysis (g_a, h_a), synthesis (g_s) and LIFF run in bounded memory. The tiles are a
/// function of the sizes only (layer size, latent size, the model's LIFF radius), never of the pixels, and encoder
/// and decoder use the same policy, so the encoder's reconstructions stay exactly the decoder's.
/// </summary>
/// <remarks>
/// <para>Each tile is computed with a halo wider than the network's receptive field and only its core is kept, so a
/// tiled layer equals the untiled one up to float rounding (different run shapes may sum in a different order).
/// Layers that fit in one tile (every Kodak-size layer) run exactly as without tiling.</para>
/// <para>There is deliberately no per-call knob: a decoder tiling differently from its encoder would reconstruct
/// slightly different floats (about 1e-6) and those differences would feed the next layer's prediction.</para>
/// </remarks>
internal sealed class TilingPolicy
{
    /// <summary>
    /// The policy of every encoder and decoder. Synthesis tiles of at most 64 x 64 latent pixels (1024 x 1024 image
    /// pixels) with a 2-pixel latent halo (g_s's receptive field, measured: a 1-pixel halo differs by 0.1, a 2-pixel
    /// one not at all); LIFF tiles of at most 384 x 384 source pixels plus the model's radius; analysis tiles of at most
    /// 16 x 16 z pixels (1024 x 1024 image pixels) with a 3-pixel z halo (z sees about 2.3 z pixels of the image around it).
    /// At 64 channels this keeps one synthesis run near 0.5 GB, one LIFF feature run near 0.3 GB and one analysis run
    /// (1408 x 1408 pixels with its halo) near 0.6 GB.
    /// </summary>
    public static readonly TilingPolicy Default = new(synthesisTile: 64, synthesisHalo: 2, liffTile: 384, analysisTile: 16, analysisHalo: 3);

    /// <summary>Creates a policy (tests use small tiles to force many of them).</summary>
    /// <param name="synthesisTile">Largest synthesis tile core, in latent (y) pixels per side.</param>
    /// <param name="synthesisHalo">Latent pixels added on each side of a synthesis tile (g_s sees less than 2).</param>
    /// <param name="liffTile">Largest LIFF tile core, in source (previous-layer) pixels per side.</param>
    /// <param name="analysisTile">Largest analysis tile core, in z pixels (64 image pixels) per side.</param>
    /// <param name="analysisHalo">z pixels added on each side of an analysis tile.</param>
    public TilingPolicy(int synthesisTile, int synthesisHalo, int liffTile, int analysisTile = 16, int analysisHalo = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(analysisTile, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(analysisHalo, 0);
        AnalysisTile = analysisTile;
        AnalysisHalo = analysisHalo;
        ArgumentOutOfRangeException.ThrowIfLessThan(synthesisTile, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(synthesisHalo, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(liffTile, 1);
        SynthesisTile = synthesisTile;
        SynthesisHalo = synthesisHalo;
        LiffTile = liffTile;
    }

    /// <summary>Largest synthesis tile core, in latent pixels per side.</summary>
    public int SynthesisTile { get; }

    /// <summary>Where the tiled stages report finished tiles; null reports nothing. Never changes which tiles are cut.</summary>
    public TileProgressSink? Progress { get; private init; }

    /// <summary>The same tiles, reporting each finished one to <paramref name="progress"/> (this policy itself when null).</summary>
    public TilingPolicy WithProgress(TileProgressSink? progress) => progress is null
        ? this
        : new TilingPolicy(SynthesisTile, SynthesisHalo, LiffTile, AnalysisTile, AnalysisHalo) { Progress = progress };

    /// <summary>Latent pixels of context on each side of a synthesis tile.</summary>
    public int SynthesisHalo { get; }

    /// <summary>Largest LIFF tile core, in source pixels per side.</summary>
    public int LiffTile { get; }

    /// <summary>Largest analysis tile core, in z pixels per side.</summary>
    public int AnalysisTile { get; }

    /// <summary>z pixels of context on each side of an analysis tile.</summary>
    public int AnalysisHalo { get; }

    /// <summary>
    /// Cuts [0, <paramref name="extent"/>) into the fewest near-equal parts of at most <paramref name="maxPart"/>
    /// (equal parts avoid thin slivers at the end).
    /// </summary>
    public static (int Start, int End)[] Split(int extent, int maxPart)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(extent, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPart, 1);
        int count = (extent + maxPart - 1) / maxPart;
        var parts = new (int, int)[count];
        for (int k = 0; k < count; k++)
            parts[k] = ((int)((long)extent * k / count), (int)((long)extent * (k + 1) / count));
        return parts;
    }
}
