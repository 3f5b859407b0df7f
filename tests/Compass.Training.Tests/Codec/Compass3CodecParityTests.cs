using Compass.Training.Import;
using Compass.Training.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Codec;

/// <summary>
/// The BL and EL codecs of the official three-layer run (compass3/): y_hat and the unclamped
/// reconstruction that the fork's compress/decompress produced.
/// </summary>
public sealed class Compass3CodecParityTests(ITestOutputHelper log)
{
    [SkippableFact]
    public void BaseLayerReproducesYHatAndReconstruction()
        => Check("compass3/bl_state_dict.pt", "compass3/layer0_input.npy", "compass3/layer0_y_hat.npy", "compass3/layer0_recon.npy");

    [SkippableFact]
    public void EnhancementLayer1ReproducesYHatAndResidual()
        => Check("compass3/el_state_dict.pt", "compass3/layer1_residual.npy", "compass3/layer1_y_hat.npy", "compass3/layer1_residual_hat.npy");

    [SkippableFact]
    public void EnhancementLayer2ReproducesYHatAndResidual()
        => Check("compass3/el_state_dict.pt", "compass3/layer2_residual.npy", "compass3/layer2_y_hat.npy", "compass3/layer2_residual_hat.npy");

    private void Check(string weights, string input, string yHatFile, string reconFile)
    {
        set_num_threads(1);
        using var codec = OfficialCheckpoint.LoadCodec(Fixtures.Path(weights));
        codec.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = Fixtures.LoadFloat(input);
        // Eval forward = compress/decompress: y_hat = round(y - mu) + mu, x_hat = g_s(y_hat), no clamp.
        using var r = codec.Forward(x, training: false);
        Fixtures.AssertClose(log, yHatFile, r.YTilde);
        Fixtures.AssertClose(log, reconFile, r.XHat);
    }
}
