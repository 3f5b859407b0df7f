using Compass.Training.Cli;
using Compass.Training.Objectives;
using Compass.Training.Tests.Data;
using Compass.Training.Training;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Compass.Training.Tests.Objectives;

[Collection(TorchGlobalState.Name)]
public sealed class StageCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int threads = torch.get_num_threads();
        try
        {
            int code = CompassTrainCli.Run(args, output, error, NullLoggerFactory.Instance);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    [Fact]
    public void BaseLayerResultInitialisesAFrozenJointRun()
    {
        using var data = TestImages.Folder(2, 40, 40);
        using var bl = new TempFolder();
        using var joint = new TempFolder();
        string[] common = ["train", "--preset", "compact", "--quality", "3", "--crop", "32", "--batch", "1", "--data", data.Path, "--log-every", "1"];

        var (code, _, err) = Run([.. common, "--stage", "bl", "--steps", "2", "--out", bl.Path]);
        Assert.True(code == 0, err);
        var weights = Path.Combine(bl.Path, "model-f16.weights");
        Assert.Equal("bl", WeightInitializer.StageOf(weights));

        (code, _, err) = Run([.. common, "--stage", "joint", "--steps", "1", "--out", joint.Path, "--init", weights]);
        Assert.True(code == 0, err);

        // The joint result carries the BL it was given, unchanged (up to float16 storage), and all three children.
        var fromBl = CompactWeights.Read(weights);
        var fromJoint = CompactWeights.Read(Path.Combine(joint.Path, "model-f16.weights"));
        Assert.Contains(fromJoint.Keys, k => k.StartsWith("liff.", StringComparison.Ordinal));
        Assert.Contains(fromJoint.Keys, k => k.StartsWith("residual.", StringComparison.Ordinal));
        foreach (var key in fromBl.Keys.Where(k => k.StartsWith("base.", StringComparison.Ordinal)))
            Assert.True(fromJoint[key].allclose(fromBl[key], rtol: 0, atol: 0), key);
    }
}
