using System.Diagnostics.CodeAnalysis;
using Compass.Pipeline;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// LIFF (Local Implicit Filter Function), the enhancement-layer predictor of COMPASS: predicts an
/// H x W image from the previous layer's h x w reconstruction (docs/method.md#liff).
/// </summary>
/// <remarks>
/// <para>Parameter names equal the official <c>LIFF_prediction</c> state_dict keys (<c>SFENet1.weight</c>,
/// <c>RDBs.0.convs.0.conv.0.weight</c>, <c>GFF.0.weight</c>, <c>imnet.0.weight</c>, ...), so official weights
/// load name to name.</para>
/// <para><see cref="Predict"/> (training and inference) uses the exact low-resolution form: the feature part
/// of the first MLP layer and the last MLP layer folded with the pixel-wise filtering are computed once
/// per source pixel (as 3x3 convolutions of the features) and gathered; only the hidden layers run per
/// target pixel, in chunks of <see cref="ChunkSize"/> target pixels whose activations are recomputed in
/// the backward pass, so memory does not grow with the target size beyond a few floats per pixel.
/// Call backward inside a <c>torch.NewDisposeScope()</c> (the usual per-step scope): the gradients this
/// module hands to autograd live in the ambient scope.</para>
/// </remarks>
public sealed class Liff : nn.Module
{
    /// <summary>Default number of target pixels per chunk.</summary>
    public const int DefaultChunkSize = 1024;

    private readonly Conv2d _sfe1;
    private readonly Conv2d _sfe2;
    private readonly ResidualDenseBlock[] _blocks;
    private readonly Conv2d _globalFusion;
    private readonly Conv2d _globalConv;
    private readonly Linear[] _mlp;
    private readonly Sequential _imnet;
    private int _chunkSize = DefaultChunkSize;

    /// <summary>Creates a LIFF module with PyTorch's default initialisation.</summary>
    /// <param name="config">The architecture, e.g. <see cref="LiffConfig.Paper"/>.</param>
    public Liff(LiffConfig config) : base("LIFF")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        int g0 = config.FeatureWidth;

        _sfe1 = nn.Conv2d(3, g0, LiffConfig.Kernel, padding: 1);
        _sfe2 = nn.Conv2d(g0, g0, LiffConfig.Kernel, padding: 1);
        _blocks = new ResidualDenseBlock[config.Blocks];
        var blocks = new ModuleList<ResidualDenseBlock>();
        for (int d = 0; d < config.Blocks; d++)
        {
            _blocks[d] = new ResidualDenseBlock(g0, config.GrowthRate, config.LayersPerBlock);
            blocks.Add(_blocks[d]);
        }
        _globalFusion = nn.Conv2d(config.Blocks * g0, g0, 1);
        _globalConv = nn.Conv2d(g0, g0, LiffConfig.Kernel, padding: 1);

        // imnet: Linear, ReLU, (Linear, ReLU) x HiddenLayers, Linear -- official indices 0, 2, 4, ...
        _mlp = new Linear[config.HiddenLayers + 2];
        _mlp[0] = nn.Linear(config.MlpInputWidth, config.HiddenWidth);
        for (int l = 1; l <= config.HiddenLayers; l++) _mlp[l] = nn.Linear(config.HiddenWidth, config.HiddenWidth);
        _mlp[^1] = nn.Linear(config.HiddenWidth, config.FilterWidth);
        _imnet = nn.Sequential();
        for (int l = 0; l < _mlp.Length; l++)
        {
            _imnet.append((2 * l).ToString(System.Globalization.CultureInfo.InvariantCulture), _mlp[l]);
            if (l < _mlp.Length - 1) _imnet.append((2 * l + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), nn.ReLU());
        }

        register_module("SFENet1", _sfe1);
        register_module("SFENet2", _sfe2);
        register_module("RDBs", blocks);
        register_module("GFF", nn.Sequential(("0", _globalFusion), ("1", _globalConv)));
        register_module("imnet", _imnet);
    }

    /// <summary>The architecture of this module.</summary>
    public LiffConfig Config { get; }

    /// <summary>Target pixels processed per chunk (bounds the per-pixel working memory). Default <see cref="DefaultChunkSize"/>.</summary>
    public int ChunkSize
    {
        get => _chunkSize;
        set => _chunkSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Chunk size must be positive.");
    }

    /// <summary>
    /// Predicts the <paramref name="targetHeight"/> x <paramref name="targetWidth"/> image from
    /// <paramref name="input"/> (N x 3 x h x w, float32), with the correct scale token (2h/H, 2w/W).
    /// Differentiable with respect to the input and the parameters.
    /// </summary>
    /// <returns>N x 3 x H x W, unclamped.</returns>
    public Tensor Predict(Tensor input, int targetHeight, int targetWidth)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(input);
        return Forward(input, LiffGrid.Create((int)input.shape[2], (int)input.shape[3], targetHeight, targetWidth));
    }

    /// <summary>The low-resolution exact form (used for training and inference) on a precomputed query grid.</summary>
    /// <param name="input">N x 3 x h x w, float32; h and w must match <paramref name="grid"/>'s source size.</param>
    /// <param name="grid">The query geometry (<see cref="LiffGrid.Create"/>).</param>
    /// <returns>N x 3 x H x W, unclamped.</returns>
    [Experimental(ExperimentalApis.Backend)]
    public Tensor Forward(Tensor input, LiffGrid grid)
    {
        CheckInput(input, grid);
        using var scope = NewDisposeScope();
        var features = Features(input);
        var p = QueryLowRes(features, grid);
        return p.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The naive form (test oracle): materialises the 9*G0 + 4 MLP input and the (9*G0) x 3 filter for
    /// every target pixel, chunk by chunk, exactly as the official code does; plain autograd. Equal to
    /// <see cref="Forward(Tensor, LiffGrid)"/> up to float rounding, at many times its memory and time.
    /// </summary>
    /// <param name="input">N x 3 x h x w, float32; h and w must match <paramref name="grid"/>'s source size.</param>
    /// <param name="grid">The query geometry (<see cref="LiffGrid.Create"/>).</param>
    /// <returns>N x 3 x H x W, unclamped.</returns>
    [Experimental(ExperimentalApis.Backend)]
    public Tensor ForwardNaive(Tensor input, LiffGrid grid)
    {
        CheckInput(input, grid);
        using var scope = NewDisposeScope();
        var features = Features(input);
        long batch = features.shape[0];
        var unfolded = nn.functional.unfold(features, LiffConfig.Kernel, padding: 1).transpose(1, 2); // B x N x 9G0
        var index = SourceIndex(grid, features.device);
        var offsets = Offsets(grid, features.dtype, features.device);
        var token = ScaleToken(grid, features.dtype, features.device);
        var pieces = new List<Tensor>();
        for (int start = 0; start < grid.TargetPixels; start += ChunkSize)
        {
            int count = Math.Min(ChunkSize, grid.TargetPixels - start);
            var q = unfolded.index_select(1, index.narrow(0, start, count)); // B x m x 9G0
            var mlpIn = cat([q, offsets.narrow(0, start, count).expand(batch, count, 2), token.expand(batch, count, 2)], 2);
            var filter = _imnet.forward(mlpIn).view(batch, count, Config.UnfoldedWidth, LiffConfig.OutputChannels);
            pieces.Add(q.unsqueeze(2).matmul(filter).squeeze(2)); // B x m x 3
        }
        var p = cat(pieces, 1).transpose(1, 2).reshape(batch, LiffConfig.OutputChannels, grid.TargetHeight, grid.TargetWidth);
        return p.MoveToOuterDisposeScope();
    }

    /// <summary>The RDN features F (N x G0 x h x w): GFF of the block outputs plus the SFENet1 output.</summary>
    /// <param name="input">N x 3 x h x w, float32.</param>
    public Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var f1 = _sfe1.forward(input);
        var x = _sfe2.forward(f1);
        var outputs = new Tensor[_blocks.Length];
        for (int d = 0; d < _blocks.Length; d++) outputs[d] = x = _blocks[d].forward(x);
        var f = _globalConv.forward(_globalFusion.forward(cat(outputs, 1))) + f1;
        return f.MoveToOuterDisposeScope();
    }

    /// <summary>The official MLP input rows [unfolded feature (9*G0), r_y, r_x, s_y, s_x] for target pixels
    /// <paramref name="start"/> .. start + count - 1 (row-major); for tests against the recorded rows.</summary>
    internal Tensor NaiveMlpInput(Tensor features, LiffGrid grid, int start, int count)
    {
        using var scope = NewDisposeScope();
        long batch = features.shape[0];
        var unfolded = nn.functional.unfold(features, LiffConfig.Kernel, padding: 1).transpose(1, 2);
        var q = unfolded.index_select(1, SourceIndex(grid, features.device).narrow(0, start, count));
        var rows = cat([q, Offsets(grid, features.dtype, features.device).narrow(0, start, count).expand(batch, count, 2), ScaleToken(grid, features.dtype, features.device).expand(batch, count, 2)], 2);
        return rows.MoveToOuterDisposeScope();
    }

    /// <summary>The MLP (imnet) applied to rows of its input.</summary>
    internal Tensor Mlp(Tensor rows) => _imnet.forward(rows);

    private Tensor QueryLowRes(Tensor features, LiffGrid grid)
    {
        long batch = features.shape[0];
        int g0 = Config.FeatureWidth, hidden = Config.HiddenWidth, unfolded = Config.UnfoldedWidth;
        const int Out = LiffConfig.OutputChannels;
        var padding = new long[] { 1, 1 };

        // First layer: W1 [F; r; s] + b1. The feature part W1_F (hidden x 9G0, index c*9 + ky*3 + kx) is
        // a 3x3 convolution of F; the constant token part joins the bias. Both at source resolution.
        var w1 = _mlp[0].weight!;
        var w1Feature = w1.narrow(1, 0, unfolded).reshape(hidden, g0, LiffConfig.Kernel, LiffConfig.Kernel);
        var w1Offset = w1.narrow(1, unfolded, 2);
        var bias1 = _mlp[0].bias! + w1.narrow(1, unfolded + 2, 2).matmul(ScaleToken(grid, features.dtype, features.device));
        // Nested scopes free the convolution outputs as soon as their re-laid-out copies exist.
        Tensor first, g, biasPart;
        using (NewDisposeScope())
            first = nn.functional.conv2d(features, w1Feature, bias1, padding: padding)
                .flatten(2).transpose(1, 2).contiguous().MoveToOuterDisposeScope(); // B x N x hidden

        // Last layer folded with the filtering: P_c = sum_j h_j G_cj + sum_i F_i b_(i,c), with
        // G_cj = sum_i F_i W5_((i,c),j) per source pixel: a 3x3 convolution to 3 * hidden channels.
        var last = _mlp[^1];
        var w5 = last.weight!.view(unfolded, Out, hidden).permute(1, 2, 0).reshape(Out * hidden, g0, LiffConfig.Kernel, LiffConfig.Kernel);
        using (NewDisposeScope())
            g = nn.functional.conv2d(features, w5, padding: padding)
                .view(batch, Out, hidden, -1).permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope(); // B x N x 3 x hidden
        var b5 = last.bias!.view(unfolded, Out).t().reshape(Out, g0, LiffConfig.Kernel, LiffConfig.Kernel);
        biasPart = nn.functional.conv2d(features, b5, padding: padding).flatten(2); // B x 3 x N

        var index = SourceIndex(grid, features.device);
        var args = new List<object> { first, g, w1Offset, index, Offsets(grid, features.dtype, features.device), ChunkSize };
        for (int l = 1; l < _mlp.Length - 1; l++)
        {
            args.Add(_mlp[l].weight!);
            args.Add(_mlp[l].bias!);
        }
        var p = LiffQueryFunction.Apply(args.ToArray()); // B x n x 3
        var result = p.transpose(1, 2) + biasPart.index_select(2, index);
        return result.reshape(batch, Out, grid.TargetHeight, grid.TargetWidth);
    }

    // The grid tensors are made on the features' device: a CUDA run must not mix in CPU tensors.
    private static Tensor SourceIndex(LiffGrid grid, Device device) =>
        tensor(Array.ConvertAll(grid.FlatSourceIndex(), i => (long)i), ScalarType.Int64, device);

    // The grid is float32 (as the official code); float64 modules (gradient checks) get it widened.
    private static Tensor Offsets(LiffGrid grid, ScalarType dtype, Device device) =>
        tensor(grid.FlatOffsets(), ScalarType.Float32, device).view(grid.TargetPixels, 2).to_type(dtype);

    private static Tensor ScaleToken(LiffGrid grid, ScalarType dtype, Device device) =>
        tensor(new[] { grid.ScaleY, grid.ScaleX }, ScalarType.Float32, device).to_type(dtype);

    private static void CheckInput(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != 3)
            throw new ArgumentException($"LIFF expects an N x 3 x h x w image, got [{string.Join(", ", input.shape)}].", nameof(input));
        if (input.dtype != ScalarType.Float32 && input.dtype != ScalarType.Float64)
            throw new ArgumentException($"LIFF expects float32 (or float64) input, got {input.dtype}.", nameof(input));
    }

    private static void CheckInput(Tensor input, LiffGrid grid)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(grid);
        CheckInput(input);
        if (input.shape[2] != grid.SourceHeight || input.shape[3] != grid.SourceWidth)
            throw new ArgumentException(
                $"Input is {input.shape[2]} x {input.shape[3]} but the grid was built for {grid.SourceHeight} x {grid.SourceWidth}.", nameof(input));
    }
}
