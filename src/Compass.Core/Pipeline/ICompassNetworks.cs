using System.Diagnostics.CodeAnalysis;
using Compass.Imaging;

namespace Compass.Pipeline;

/// <summary>
/// The networks of one COMPASS model at one quality, as the encode/decode pipeline needs them. Compass.Onnx
/// implements it with ONNX Runtime; nothing here depends on how the networks run.
/// </summary>
/// <remarks>Implementations must be safe to call from several threads at once.</remarks>
[Experimental(ExperimentalApis.Backend)]
public interface ICompassNetworks
{
    /// <summary>The 32-byte identity of the model bundle (recorded in every bitstream).</summary>
    Bitstream.ModelIdentity ModelId { get; }

    /// <summary>
    /// The entropy-parameter path streams are encoded with: <see cref="Bitstream.BitstreamFormat.FixedPointEntropyPath"/>
    /// when both codecs carry a fixed-point scale branch, otherwise <see cref="Bitstream.BitstreamFormat.FloatEntropyPath"/>.
    /// </summary>
    byte EntropyPath => GetTables(CodecRole.Base).HyperScales is not null && GetTables(CodecRole.Residual).HyperScales is not null
        ? Bitstream.BitstreamFormat.FixedPointEntropyPath
        : Bitstream.BitstreamFormat.FloatEntropyPath;

    /// <summary>The entropy tables of a codec.</summary>
    CodecTables GetTables(CodecRole role);

    /// <summary>g_a then h_a: the latent y (M x ceil(H/16) x ceil(W/16)) and hyper-latent z (N x ceil(H/64) x ceil(W/64)).</summary>
    (LatentTensor Y, LatentTensor Z) Analyze(CodecRole role, PlanarImage image);

    /// <summary>h_s: the Gaussian scales and means of y, cropped to the y size.</summary>
    (LatentTensor Scales, LatentTensor Means) HyperSynthesize(CodecRole role, LatentTensor zHat, int yHeight, int yWidth);

    /// <summary>g_s: the reconstruction (unclamped) at the given image size.</summary>
    PlanarImage Synthesize(CodecRole role, LatentTensor yHat, int width, int height);

    /// <summary>
    /// g_s into <paramref name="destination"/>, whose size is the image size: tiled synthesis hands every tile of one
    /// shape the same buffer instead of leaving one large-object-heap image per tile for the GC. The default copies
    /// the result of <see cref="Synthesize(CodecRole, LatentTensor, int, int)"/>.
    /// </summary>
    void Synthesize(CodecRole role, LatentTensor yHat, PlanarImage destination) =>
        Synthesize(role, yHat, destination.Width, destination.Height).Data.CopyTo(destination.Data, 0);

    /// <summary>
    /// How far (in source pixels) a LIFF prediction looks around the nearest source pixel of a target pixel: the
    /// receptive field of the feature network plus its 3x3 unfold. Tiled prediction gives each window this halo.
    /// </summary>
    int LiffRadius { get; }

    /// <summary>
    /// LIFF on a window: the prediction of <see cref="LiffWindow.Target"/> from <paramref name="source"/>, the
    /// <see cref="LiffWindow.Source"/> part of the previous layer's reconstruction (see <see cref="LiffWindow"/>).
    /// </summary>
    PlanarImage Predict(PlanarImage source, LiffWindow window, CancellationToken cancellationToken);

    /// <summary>
    /// LIFF on a window into <paramref name="destination"/> (the size of <see cref="LiffWindow.Target"/>), for the same
    /// buffer reuse as <see cref="Synthesize(CodecRole, LatentTensor, PlanarImage)"/>. The default copies.
    /// </summary>
    void Predict(PlanarImage source, LiffWindow window, PlanarImage destination, CancellationToken cancellationToken) =>
        Predict(source, window, cancellationToken).Data.CopyTo(destination.Data, 0);

    /// <summary>
    /// Frees scratch memory an implementation keeps between calls to save allocations (the ONNX backend keeps its LIFF
    /// feature buffers, hundreds of MB after a large layer). The pipeline calls it after a multi-tile prediction, so
    /// that the network runs after it have the memory. The default does nothing.
    /// </summary>
    void ReleaseScratch()
    {
    }

    /// <summary>LIFF: the prediction of a whole layer of the given size from the whole previous layer, in one run.</summary>
    PlanarImage Predict(PlanarImage previous, int width, int height, CancellationToken cancellationToken) =>
        Predict(previous, LiffWindow.Whole(previous.Width, previous.Height, width, height), cancellationToken);
}
