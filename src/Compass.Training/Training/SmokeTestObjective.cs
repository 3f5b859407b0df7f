using Compass.Training.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Training;

/// <summary>
/// A tiny stand-in codec (two stride-2 convolutions down, two up, a toy rate term, one auxiliary
/// parameter) that exercises every part of the <see cref="Trainer"/> in seconds: both optimisers,
/// uniform-noise draws from torch's generator, multi-layer batches, validation, checkpoints.
/// Used by the tests and by <c>compass-train train --stage smoke</c>; not a real codec.
/// </summary>
public sealed class SmokeTestObjective : ITrainingObjective, IDisposable
{
    private readonly SmokeAutoencoder _model;
    private readonly double _lambda;

    /// <summary>Creates the objective (weights drawn from torch's current generator).</summary>
    /// <param name="lambda">Weight of <c>255^2 * MSE</c> against the toy rate.</param>
    /// <param name="channels">Hidden width.</param>
    public SmokeTestObjective(double lambda = 0.0067, int channels = 8)
    {
        _lambda = lambda;
        _model = new SmokeAutoencoder(channels);
    }

    /// <inheritdoc />
    public nn.Module Model => _model;

    /// <inheritdoc />
    public IEnumerable<Parameter> MainParameters() =>
        _model.named_parameters().Where(p => p.name != "medians").Select(p => p.parameter);

    /// <inheritdoc />
    public IEnumerable<Parameter> AuxiliaryParameters() => [_model.Medians];

    /// <inheritdoc />
    public StepResult ComputeLoss(TrainingBatch batch, long step)
    {
        var (loss, metrics) = Forward(batch, training: true);
        return new StepResult(loss, metrics);
    }

    /// <inheritdoc />
    public Tensor? AuxiliaryLoss() => (_model.Medians - 0.5f).square().sum();

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(TrainingBatch batch) => Forward(batch, training: false).Metrics;

    private (Tensor Loss, Dictionary<string, double> Metrics) Forward(TrainingBatch batch, bool training)
    {
        Tensor total = zeros(1, device: batch.Top.device);
        double bits = 0, pixels = 0, mseSum = 0;
        foreach (var x in batch.Layers)
        {
            var y = _model.Encode(x);
            var yq = training ? y + (rand_like(y) - 0.5f) : y.round();
            var xHat = _model.Decode(yq, (int)x.shape[2], (int)x.shape[3]);
            var rate = (1 + yq.square()).log2().sum() / (x.shape[0] * x.shape[2] * x.shape[3]);
            var mse = (xHat - x).square().mean();
            total = total + rate + _lambda * 255 * 255 * mse;
            double n = x.shape[2] * x.shape[3];
            bits += rate.item<float>() * n;
            pixels += n;
            mseSum += mse.item<float>();
        }
        double meanMse = mseSum / batch.Layers.Count;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["bpp"] = bits / pixels,
            ["mse"] = meanMse,
            ["psnr"] = 10 * Math.Log10(1 / Math.Max(meanMse, 1e-12)),
        };
        return (total.squeeze(), metrics);
    }

    /// <summary>Frees the model.</summary>
    public void Dispose() => _model.Dispose();

    private sealed class SmokeAutoencoder : nn.Module
    {
        private readonly Conv2d _down1, _down2;
        private readonly ConvTranspose2d _up1, _up2;

        public SmokeAutoencoder(int channels) : base(nameof(SmokeAutoencoder))
        {
            _down1 = nn.Conv2d(3, channels, 3, stride: 2, padding: 1);
            _down2 = nn.Conv2d(channels, 4, 3, stride: 2, padding: 1);
            _up1 = nn.ConvTranspose2d(4, channels, 4, stride: 2, padding: 1);
            _up2 = nn.ConvTranspose2d(channels, 3, 4, stride: 2, padding: 1);
            medians = nn.Parameter(zeros(4));
            RegisterComponents();
        }

        // Named like the entropy bottleneck's quantiles: the auxiliary optimiser's parameter. TorchSharp names the
        // parameter after the field, so it keeps the lower-case name.
#pragma warning disable IDE1006
        private readonly Parameter medians;
#pragma warning restore IDE1006

        public Parameter Medians => medians;

        public Tensor Encode(Tensor x) => _down2.forward(nn.functional.relu(_down1.forward(x)));

        public Tensor Decode(Tensor y, int height, int width)
        {
            var up = _up2.forward(nn.functional.relu(_up1.forward(y)));
            return nn.functional.interpolate(up, size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        }
    }
}
