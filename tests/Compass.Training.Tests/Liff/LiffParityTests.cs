using Compass.Pipeline;
using Compass.Testing;
using Compass.Training.Modules;
using Xunit.Abstractions;
using static Compass.Training.Tests.Liff.LiffTestUtil;
using static TorchSharp.torch;
using LiffModule = Compass.Training.Modules.Liff;

namespace Compass.Training.Tests.Liff;

/// <summary>LIFF against the official fixtures (README tolerance: about 1e-5 absolute for float32 outputs).</summary>
public class LiffParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string, int, int> Targets => new()
    {
        { "t0_29x38", 29, 38 }, { "t1_38x51", 38, 51 }, { "t2_48x64", 48, 64 }, { "t3_96x128", 96, 128 }, { "t4_31x47", 31, 47 },
    };

    private static string Liff(string file) => Path.Combine(SharedData.Official, "liff", file);

    private static string Compass3(string file) => Path.Combine(SharedData.Official, "compass3", file);

    private static LiffModule LoadModule(string path)
    {
        var module = new LiffModule(LiffConfig.Paper);
        LiffWeights.Load(module, path);
        module.eval();
        return module;
    }

    [SkippableFact]
    public void FeaturesMatchOfficialRdnOutput()
    {
        using var module = LoadModule(Liff("liff_state_dict.pt"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var features = module.Features(Load(Liff("input.npy")));
        double err = MaxAbsDiff(features, Load(Liff("feat_rdn.npy")));
        output.WriteLine($"feat_rdn max abs error {err:E2}");
        Assert.True(err < Tolerance, $"feat_rdn max abs error {err}");
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public void BothFormsMatchOfficialPrediction(string prefix, int height, int width)
    {
        using var module = LoadModule(Liff("liff_state_dict.pt"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        module.ChunkSize = 1000; // several chunks for every target
        var input = Load(Liff("input.npy"));
        var expected = Load(Liff($"{prefix}_pred.npy"));
        var grid = LiffGrid.Create(24, 32, height, width);
        double fast = MaxAbsDiff(module.Forward(input, grid), expected);
        double naive = MaxAbsDiff(module.ForwardNaive(input, grid), expected);
        output.WriteLine($"{prefix}: low-res form {fast:E2}, naive form {naive:E2}");
        Assert.True(fast < Tolerance, $"{prefix} low-res form max abs error {fast}");
        Assert.True(naive < Tolerance, $"{prefix} naive form max abs error {naive}");
    }

    [SkippableFact]
    public void NaiveMlpRowsMatchOfficialImnetInputAndOutput()
    {
        using var module = LoadModule(Liff("liff_state_dict.pt"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var features = module.Features(Load(Liff("input.npy")));
        var grid = LiffGrid.Create(24, 32, 29, 38);
        var rows = module.NaiveMlpInput(features, grid, 0, 256);
        double inErr = MaxAbsDiff(rows, Load(Liff("t0_29x38_mlp_input_first256.npy")));
        double outErr = MaxAbsDiff(module.Mlp(rows.narrow(1, 0, 64)), Load(Liff("t0_29x38_mlp_output_first64.npy")));
        output.WriteLine($"imnet input rows {inErr:E2}, output rows {outErr:E2}");
        Assert.True(inErr < Tolerance, $"imnet input max abs error {inErr}");
        Assert.True(outErr < Tolerance, $"imnet output max abs error {outErr}");
    }

    [SkippableFact]
    public void Compass3ChainPredictionsMatchEvalPy()
    {
        using var module = LoadModule(Compass3("liff_state_dict.pt"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var layer1 = module.Forward(Load(Compass3("layer0_recon.npy")), LiffGrid.Create(32, 48, 64, 96));
        var layer2 = module.Forward(Load(Compass3("layer1_recon.npy")), LiffGrid.Create(64, 96, 128, 192));
        double e1 = MaxAbsDiff(layer1, Load(Compass3("layer1_pred.npy")));
        double e2 = MaxAbsDiff(layer2, Load(Compass3("layer2_pred.npy")));
        output.WriteLine($"compass3 layer1_pred {e1:E2}, layer2_pred {e2:E2}");
        Assert.True(e1 < Tolerance, $"layer1_pred max abs error {e1}");
        Assert.True(e2 < Tolerance, $"layer2_pred max abs error {e2}");
    }

    [SkippableFact]
    public void Compass3ModelPyCellVariantIsTheFirstElTokenOnTheSecondEl()
    {
        using var module = LoadModule(Compass3("liff_state_dict.pt"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = Load(Compass3("layer1_recon.npy"));
        var wrongToken = LiffGrid.Create(64, 96, 128, 192).WithScaleTokenFromCell(64, 96); // s = (2, 2) instead of (1, 1)
        var wrong = module.Forward(input, wrongToken);
        var expected = Load(Compass3("layer2_pred_modelpy_cell.npy"));
        double err = MaxAbsDiff(wrong, expected);
        double tokenEffect = MaxAbsDiff(module.Forward(input, LiffGrid.Create(64, 96, 128, 192)), expected);
        output.WriteLine($"layer2_pred_modelpy_cell {err:E2} (correct token differs from it by {tokenEffect:E2})");
        Assert.True(err < Tolerance, $"layer2_pred_modelpy_cell max abs error {err}");
        Assert.True(tokenEffect > 100 * Tolerance, "the token override must matter");
    }

    [SkippableFact]
    public void ModuleKeysAndShapesEqualTheManifest()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedData.Official, "manifest.json")));
        var keys = doc.RootElement.GetProperty("cases").GetProperty("liff").GetProperty("files")
            .GetProperty("liff_state_dict").GetProperty("keys");
        var expected = keys.EnumerateObject().ToDictionary(k => k.Name, k => k.Value[0].EnumerateArray().Select(d => d.GetInt64()).ToArray());
        using var module = new LiffModule(LiffConfig.Paper);
        var actual = module.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, shape) in expected) Assert.Equal(shape, actual[name]);
    }
}
