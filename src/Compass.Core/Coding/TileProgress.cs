namespace Compass;

/// <summary>The tiled stage of a layer that a <see cref="TileProgress"/> counts.</summary>
public enum TileStage
{
    /// <summary>The analysis transforms (g_a, h_a) of the encoder.</summary>
    Analysis = 0,

    /// <summary>The LIFF prediction of an enhancement layer from the layer below.</summary>
    Prediction = 1,

    /// <summary>The synthesis transform (g_s): the layer's reconstruction.</summary>
    Synthesis = 2,
}

/// <summary>
/// Progress inside one layer of a long encode or decode: <see cref="TilesDone"/> of <see cref="TilesTotal"/> tiles of
/// <see cref="Stage"/> (<see cref="EncodeOptions.TileProgress"/>, <see cref="DecodeOptions.TileProgress"/>). Reported
/// only for stages that run in more than one tile (layers above about 1024 x 1024 pixels); an enhancement layer's
/// prediction and synthesis may run at the same time and report in between each other.
/// </summary>
/// <param name="LayerIndex">The layer (0 = base layer).</param>
/// <param name="LayerCount">Layers being coded.</param>
/// <param name="Stage">The tiled stage.</param>
/// <param name="TilesDone">Tiles of the stage finished, 1 to <paramref name="TilesTotal"/>.</param>
/// <param name="TilesTotal">Tiles of the stage in this layer.</param>
public readonly record struct TileProgress(int LayerIndex, int LayerCount, TileStage Stage, int TilesDone, int TilesTotal);
