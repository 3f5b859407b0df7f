using Compass.Training.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Runtime;

/// <summary>
/// One training step of a mean-scale codec in float32 (the kernels under test) against the same step in
/// float64 (ATen's double kernels, which oneDNN never runs): the loss, and every parameter's gradient.
/// </summary>
/// <remarks>
/// The noise is injected, so both steps see the same values; the only discontinuity left is the rounding
/// of <c>y - mu</c> in the synthesis input, and for these sizes no element lies within float32 rounding
/// of a .5 boundary (a flip would show as one local difference, far below the defect's size).
/// </remarks>
internal static class TrainingStepCheck
{
    public static IReadOnlyList<KernelCheck> Run(string name, int n, int m, int batch, int height, int width, long seed)
    {
        var checks = new List<KernelCheck>();
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)seed);
        using var codec32 = new MeanScaleHyperprior(n, m);
        using var codec64 = CreateFloat64(n, m);
        codec32.train();
        codec64.train();
        using (no_grad())
        {
            // Deterministic weights of a trained-codec-like spread, independent of torch's global generator.
            foreach (var (pname, p) in codec32.named_parameters())
                if (pname.EndsWith(".weight", StringComparison.Ordinal) && p.dim() == 4)
                    p.copy_(randn(p.shape, generator: g) / MathF.Sqrt(p.shape[1] * p.shape[2] * p.shape[3]));
            var source = codec32.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (pname, p) in codec64.named_parameters()) p.copy_(source[pname]);
        }

        var x = rand(batch, 3, height, width, generator: g);
        var (loss32, result32) = Loss(codec32, x, null, null, g);
        var noiseY = rand(result32.Y.shape, generator: g) - 0.5;
        var noiseZ = rand(result32.Z.shape, generator: g) - 0.5;
        result32.Dispose();
        loss32.Dispose();
        (loss32, result32) = Loss(codec32, x, noiseY, noiseZ, g);
        var (loss64, result64) = Loss(codec64, x.to(float64), noiseY.to(float64), noiseZ.to(float64), g);
        loss32.backward();
        loss64.backward();

        double l32 = loss32.item<float>(), l64 = loss64.item<double>();
        checks.Add(new KernelCheck($"{name}: loss", double.IsFinite(l32) ? Math.Abs(l32 - l64) / Math.Abs(l64) : double.PositiveInfinity));
        checks.Add(new KernelCheck($"{name}: reconstruction", Relative(result32.XHat, result64.XHat)));

        var worst = 0.0;
        var worstName = "";
        var p64 = codec64.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (pname, p) in codec32.named_parameters())
        {
            var reference = p64[pname].grad;
            if (reference is null || reference.abs().max().item<double>() == 0) continue;
            // A missing, zero or non-finite gradient where float64 has one is the defect's signature.
            var error = p.grad is null ? double.PositiveInfinity : Relative(p.grad, reference);
            if (!(error <= worst))
            {
                worst = error;
                worstName = pname;
            }
        }
        checks.Add(new KernelCheck($"{name}: gradients (worst {worstName})", worst));
        result32.Dispose();
        result64.Dispose();
        return checks;
    }

    // Module.to(float64) would replace parameters that the entropy bottleneck also holds in arrays, so the
    // reference codec is built in float64 from the start.
    private static MeanScaleHyperprior CreateFloat64(int n, int m)
    {
        var previous = get_default_dtype();
        set_default_dtype(float64);
        try
        {
            return new MeanScaleHyperprior(n, m);
        }
        finally
        {
            set_default_dtype(previous);
        }
    }

    private static (Tensor Loss, CodecForwardResult Result) Loss(MeanScaleHyperprior codec, Tensor x, Tensor? noiseY, Tensor? noiseZ, Generator g)
    {
        var r = codec.Forward(x, training: true, SynthesisInput.QuantizedAroundMeans, noiseY, noiseZ);
        var pixels = x.shape[0] * x.shape[2] * x.shape[3];
        var bits = r.YLikelihoods.log().sum().add(r.ZLikelihoods.log().sum()).div(-Math.Log(2));
        var loss = bits.div(pixels).add(r.XHat.sub(x).square().mean().mul(0.0067 * 255 * 255));
        return (loss, r);
    }

    private static double Relative(Tensor actual, Tensor reference)
    {
        var r = reference.to(float64);
        var error = (actual.to(float64) - r).abs().max().item<double>();
        return double.IsFinite(error) ? error / Math.Max(r.abs().max().item<double>(), double.Epsilon) : double.PositiveInfinity;
    }
}
