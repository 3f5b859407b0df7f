using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// One residual dense block of the LIFF feature extractor: C layers of conv3x3 -> G + ReLU, each
/// layer seeing the concatenation of the block input and all previous layer outputs, then a 1x1
/// "local feature fusion" back to G0 plus the block input. Submodule names follow the official
/// state_dict (<c>convs.{k}.conv.0</c>, <c>LFF</c>).
/// </summary>
internal sealed class ResidualDenseBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d[] _layers;
    private readonly Conv2d _fusion;

    public ResidualDenseBlock(int featureWidth, int growthRate, int layers) : base(nameof(ResidualDenseBlock))
    {
        _layers = new Conv2d[layers];
        var convs = nn.Sequential();
        for (int k = 0; k < layers; k++)
        {
            _layers[k] = nn.Conv2d(featureWidth + k * growthRate, growthRate, 3, padding: 1);
            // Official RDB_Conv: a Sequential(conv, ReLU) stored as `conv`.
            convs.append(k.ToString(System.Globalization.CultureInfo.InvariantCulture),
                new DenseLayer(nn.Sequential(("0", _layers[k]), ("1", nn.ReLU()))));
        }
        _fusion = nn.Conv2d(featureWidth + layers * growthRate, featureWidth, 1);
        register_module("convs", convs);
        register_module("LFF", _fusion);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var conv in _layers) x = cat([x, nn.functional.relu(conv.forward(x))], 1);
        return (_fusion.forward(x) + input).MoveToOuterDisposeScope();
    }

    /// <summary>Holder that gives the official parameter path <c>convs.{k}.conv.0.weight</c>; the block's forward calls the conv directly.</summary>
    private sealed class DenseLayer : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential _conv;

        public DenseLayer(Sequential conv) : base(nameof(DenseLayer))
        {
            _conv = conv;
            register_module("conv", conv);
        }

        public override Tensor forward(Tensor input) => cat([input, _conv.forward(input)], 1);
    }
}
