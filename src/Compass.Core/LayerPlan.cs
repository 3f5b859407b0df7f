using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Compass;

/// <summary>
/// The list of layer sizes of one scalable encoding, smallest (the base layer) first, e.g.
/// <c>192x128,384x256,768x512</c>. Immutable; compare with <c>==</c>.
/// </summary>
/// <remarks>
/// <para>Rules, checked by every factory: 1 to <see cref="MaxLayerCount"/> layers (or fewer, see
/// <see cref="LayerPlanLimits.MaxLayers"/>); every side between <see cref="MinSide"/> and
/// <see cref="MaxSide"/> (a plan of one layer may have sides from 1 px: a tiny image coded whole); no dimension shrinks from one layer to the next and at least one grows;
/// each dimension grows by a ratio between <see cref="MinLayerRatio"/> and <see cref="MaxLayerRatio"/>
/// per layer (the range the networks are trained for); the pixels of all layers sum to at most
/// <see cref="LayerPlanLimits.MaxTotalPixels"/>.</para>
/// <para><c>default(LayerPlan)</c> is the empty plan: <see cref="Count"/> is 0, <see cref="Layers"/> is
/// empty, <see cref="ToString"/> is the empty string, and <see cref="Base"/> / <see cref="Final"/> throw
/// <see cref="InvalidOperationException"/>. No factory ever returns it.</para>
/// </remarks>
public readonly struct LayerPlan : IEquatable<LayerPlan>
{
    /// <summary>Most layers a plan (and the bitstream format) can hold.</summary>
    public const int MaxLayerCount = 8;

    /// <summary>
    /// Smallest allowed width or height of a layer in a plan of two or more layers, in pixels (the LIFF layers are trained
    /// on such sizes and up). A single-layer plan may be smaller, down to 1x1: such a layer is coded extended to 16 px a side
    /// by repeating its last row and column and cropped back after synthesis, so a tiny image is coded as one layer.
    /// </summary>
    public const int MinSide = 16;

    /// <summary>Largest allowed width or height of any layer: the bitstream stores sides as 16-bit numbers.</summary>
    public const int MaxSide = ushort.MaxValue;

    /// <summary>Smallest ratio of a dimension of layer k to the same dimension of layer k-1.</summary>
    public const double MinLayerRatio = 1.0;

    /// <summary>Largest ratio of a dimension of layer k to the same dimension of layer k-1.</summary>
    public const double MaxLayerRatio = 4.0;

    /// <summary>
    /// Added to <c>W*s</c> before flooring in <see cref="FromScales(int, int, double[])"/>, so that a product
    /// meant to be an integer but computed a hair below it (e.g. <c>100 * 0.29 = 28.999999999999996</c>)
    /// still gives that integer. Far above double rounding error for sides up to <see cref="MaxSide"/>,
    /// far below any real fractional part a scale with fewer than 6 significant digits produces.
    /// </summary>
    public const double ScaleFloorEpsilon = 1e-6;

    private readonly ImmutableArray<LayerSize> _layers;

    private LayerPlan(ImmutableArray<LayerSize> layers) => _layers = layers;

    /// <summary>The layer sizes, base layer first. Empty for <c>default(LayerPlan)</c>.</summary>
    public ImmutableArray<LayerSize> Layers => _layers.IsDefault ? ImmutableArray<LayerSize>.Empty : _layers;

    /// <summary>Number of layers (base layer plus enhancement layers); 0 for <c>default(LayerPlan)</c>.</summary>
    public int Count => _layers.IsDefault ? 0 : _layers.Length;

    /// <summary>The size of layer <paramref name="index"/> (0 = base layer).</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    public LayerSize this[int index] => Layers[index];

    /// <summary>The base layer (layer 0), the smallest.</summary>
    /// <exception cref="InvalidOperationException">The plan is <c>default(LayerPlan)</c>.</exception>
    public LayerSize Base => Count > 0 ? _layers[0] : throw EmptyPlan();

    /// <summary>The final (largest) layer.</summary>
    /// <exception cref="InvalidOperationException">The plan is <c>default(LayerPlan)</c>.</exception>
    public LayerSize Final => Count > 0 ? _layers[^1] : throw EmptyPlan();

    /// <summary>Sum of the pixel counts of all layers.</summary>
    public long TotalPixels
    {
        get
        {
            long total = 0;
            foreach (var size in Layers)
            {
                total += size.Pixels;
            }
            return total;
        }
    }

    /// <summary>
    /// The growth from layer <paramref name="layer"/> - 1 to <paramref name="layer"/>, per dimension
    /// (e.g. (2.0, 2.0) for 192x128 to 384x256).
    /// </summary>
    /// <param name="layer">An enhancement layer index, 1 to <see cref="Count"/> - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not an enhancement layer.</exception>
    public (double Width, double Height) Ratio(int layer)
    {
        if (layer < 1 || layer >= Count)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Ratio needs an enhancement layer index, 1 to {Count - 1}.");
        }
        LayerSize previous = _layers[layer - 1], current = _layers[layer];
        return ((double)current.Width / previous.Width, (double)current.Height / previous.Height);
    }

    /// <summary>The scales of <see cref="Default"/>: a quarter, a half and the whole image.</summary>
    public static ImmutableArray<double> DefaultScales { get; } = [0.25, 0.5, 1.0];

    /// <summary>
    /// The plan to use when the caller has no particular sizes in mind: <see cref="DefaultScales"/> (a quarter, a half and
    /// the whole image) without the layers whose sides would fall below <see cref="MinSide"/>, so small images still
    /// encode (a 40x40 image gives <c>20x20,40x40</c>; an image under 64 px a side, the image alone, also when it is
    /// under 16 px: a 7x5 image gives <c>7x5</c>).
    /// </summary>
    /// <param name="width">Width of the image.</param>
    /// <param name="height">Height of the image.</param>
    /// <exception cref="ArgumentException">The size is not positive, or a side is above <see cref="MaxSide"/>.</exception>
    public static LayerPlan Default(int width, int height)
    {
        var fitting = DefaultScales.Where(s => Math.Floor(width * s) >= MinSide && Math.Floor(height * s) >= MinSide).ToArray();
        return FromScales(width, height, fitting.Length > 0 ? fitting : [1.0]);
    }

    /// <summary>
    /// Makes a plan from scale factors of an image of <paramref name="width"/> x <paramref name="height"/>,
    /// the paper's form: layer k is <c>floor(width*s_k) x floor(height*s_k)</c>, e.g. 768x512 with
    /// 0.25, 0.5, 1.0 gives <c>192x128,384x256,768x512</c>. Flooring tolerates float error (see
    /// <see cref="ScaleFloorEpsilon"/>). Uses <see cref="LayerPlanLimits.Default"/>.
    /// </summary>
    /// <param name="width">Width of the original image.</param>
    /// <param name="height">Height of the original image.</param>
    /// <param name="scales">One scale per layer, increasing, each in (0, 1].</param>
    /// <exception cref="ArgumentException">A scale is not in (0, 1] or the resulting plan breaks a rule; the message names the value and layer.</exception>
    public static LayerPlan FromScales(int width, int height, params double[] scales) => FromScales(LayerPlanLimits.Default, width, height, scales);

    /// <summary>As <see cref="FromScales(int, int, double[])"/>, checked against <paramref name="limits"/>.</summary>
    /// <param name="limits">The limits to check the plan against.</param>
    /// <param name="width">Width of the original image.</param>
    /// <param name="height">Height of the original image.</param>
    /// <param name="scales">One scale per layer, increasing, each in (0, 1].</param>
    /// <exception cref="ArgumentException">A scale is not in (0, 1] or the resulting plan breaks a rule; the message names the value and layer.</exception>
    public static LayerPlan FromScales(LayerPlanLimits limits, int width, int height, params double[] scales)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(scales);
        if (width < 1 || height < 1)
        {
            throw new ArgumentException($"The image size {width}x{height} must be positive.", nameof(width));
        }
        var sizes = new LayerSize[scales.Length];
        for (int i = 0; i < scales.Length; i++)
        {
            double s = scales[i];
            if (!(s > 0 && s <= 1)) // also rejects NaN
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Layer {i}: scale {s} must be in (0, 1]."), nameof(scales));
            }
            sizes[i] = new LayerSize(FloorScaled(width, s), FloorScaled(height, s));
        }
        return Create(sizes, limits, nameof(scales));
    }

    /// <summary>Makes a plan from explicit layer sizes, base layer first. Uses <see cref="LayerPlanLimits.Default"/>.</summary>
    /// <param name="sizes">The layer sizes.</param>
    /// <exception cref="ArgumentException">The sizes break a rule; the message names the value and layer.</exception>
    public static LayerPlan FromSizes(params LayerSize[] sizes) => FromSizes(LayerPlanLimits.Default, sizes);

    /// <summary>Makes a plan from explicit layer sizes, base layer first, checked against <paramref name="limits"/>.</summary>
    /// <param name="limits">The limits to check the plan against.</param>
    /// <param name="sizes">The layer sizes.</param>
    /// <exception cref="ArgumentException">The sizes break a rule; the message names the value and layer.</exception>
    public static LayerPlan FromSizes(LayerPlanLimits limits, params LayerSize[] sizes)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(sizes);
        return Create(sizes, limits, nameof(sizes));
    }

    /// <summary>
    /// Parses the text form written by <see cref="ToString"/>: <c>WxH</c> per layer, separated by commas,
    /// spaces allowed around each item (<c>192x128, 384x256</c>). Uses <see cref="LayerPlanLimits.Default"/>.
    /// </summary>
    /// <param name="text">The text to parse.</param>
    /// <exception cref="FormatException">The text is malformed (the message quotes the bad item) or the plan breaks a rule.</exception>
    public static LayerPlan Parse(string text) => Parse(text, LayerPlanLimits.Default);

    /// <summary>As <see cref="Parse(string)"/>, checked against <paramref name="limits"/>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="limits">The limits to check the plan against.</param>
    /// <exception cref="FormatException">The text is malformed (the message quotes the bad item) or the plan breaks a rule.</exception>
    public static LayerPlan Parse(string text, LayerPlanLimits limits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(limits);
        return TryParseCore(text, limits, out var plan, out string? error) ? plan : throw new FormatException(error);
    }

    /// <summary>Tries to parse the text form (see <see cref="Parse(string)"/>); never throws.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="plan">The plan, or <c>default</c> when the result is false.</param>
    /// <returns>Whether the text is a valid plan under <see cref="LayerPlanLimits.Default"/>.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out LayerPlan plan) => TryParse(text, LayerPlanLimits.Default, out plan);

    /// <summary>Tries to parse the text form (see <see cref="Parse(string)"/>) under <paramref name="limits"/>; never throws.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="limits">The limits to check the plan against.</param>
    /// <param name="plan">The plan, or <c>default</c> when the result is false.</param>
    /// <returns>Whether the text is a valid plan.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, LayerPlanLimits limits, out LayerPlan plan)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (text is null)
        {
            plan = default;
            return false;
        }
        return TryParseCore(text, limits, out plan, out _);
    }

    /// <summary>The compact text form, e.g. <c>192x128,384x256,768x512</c>; empty for <c>default(LayerPlan)</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Count * 10);
        foreach (var size in Layers)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }
            text.Append(CultureInfo.InvariantCulture, $"{size.Width}x{size.Height}");
        }
        return text.ToString();
    }

    /// <summary>Whether both plans have the same layer sizes in the same order.</summary>
    /// <param name="other">The plan to compare with.</param>
    public bool Equals(LayerPlan other) => Layers.AsSpan().SequenceEqual(other.Layers.AsSpan());

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is LayerPlan other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var size in Layers)
        {
            hash.Add(size);
        }
        return hash.ToHashCode();
    }

    /// <summary>Whether both plans have the same layer sizes in the same order.</summary>
    public static bool operator ==(LayerPlan left, LayerPlan right) => left.Equals(right);

    /// <summary>Whether the plans differ in any layer size or in the number of layers.</summary>
    public static bool operator !=(LayerPlan left, LayerPlan right) => !left.Equals(right);

    /// <summary>
    /// Checks <paramref name="sizes"/> against every rule without throwing. Returns null when valid,
    /// otherwise a message naming the rule, the offending value and the layer, and in
    /// <paramref name="layer"/> the index of the first offending layer (-1 for the layer count).
    /// Shared by the factories, the parser and the bitstream reader so they agree word for word.
    /// </summary>
    internal static string? Validate(ReadOnlySpan<LayerSize> sizes, LayerPlanLimits limits, out int layer)
    {
        layer = -1;
        if (sizes.Length < 1)
        {
            return "A layer plan needs at least 1 layer, got 0.";
        }
        if (sizes.Length > limits.MaxLayers)
        {
            return $"A layer plan holds at most {limits.MaxLayers} layers, got {sizes.Length}.";
        }
        long total = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            layer = i;
            LayerSize size = sizes[i];
            // Under 16 px only alone: the LIFF filter between layers is trained on layers of 16 px and up.
            if (sizes.Length > 1 && (size.Width < MinSide || size.Height < MinSide))
            {
                return $"Layer {i} is {size.Width}x{size.Height}; each side must be at least {MinSide} px in a plan of several layers (a single-layer plan may be smaller).";
            }
            if (size.Width < 1 || size.Height < 1)
            {
                return $"Layer {i} is {size.Width}x{size.Height}; each side must be at least 1 px.";
            }
            if (size.Width > MaxSide || size.Height > MaxSide)
            {
                return $"Layer {i} is {size.Width}x{size.Height}; each side must be at most {MaxSide} px.";
            }
            if (i > 0)
            {
                LayerSize prev = sizes[i - 1];
                if (size.Width < prev.Width || size.Height < prev.Height)
                {
                    return $"Layer {i} ({size}) is smaller than layer {i - 1} ({prev}) in width or height; layers must not shrink.";
                }
                if (size == prev)
                {
                    return $"Layer {i} ({size}) is the same size as layer {i - 1}; each layer must grow in width or height.";
                }
                // Integer sides make the ratio test exact: w_k <= 4 * w_(k-1), no floating point involved.
                if (size.Width > MaxLayerRatio * prev.Width || size.Height > MaxLayerRatio * prev.Height)
                {
                    return string.Create(CultureInfo.InvariantCulture,
                        $"Layer {i} ({size}) grows from layer {i - 1} ({prev}) by {(double)size.Width / prev.Width:0.####}x in width and {(double)size.Height / prev.Height:0.####}x in height; each dimension may grow by {MinLayerRatio}x to {MaxLayerRatio}x per layer.");
                }
            }
            total += size.Pixels;
            if (total > limits.MaxTotalPixels)
            {
                return $"The layers up to layer {i} ({size}) hold {total} pixels, above the limit of {limits.MaxTotalPixels}.";
            }
        }
        layer = -1;
        return null;
    }

    /// <summary>Makes a plan from sizes already checked with <see cref="Validate"/>; used by the bitstream reader.</summary>
    internal static LayerPlan CreateValidated(ReadOnlySpan<LayerSize> sizes) => new(ImmutableArray.Create(sizes));

    private static LayerPlan Create(LayerSize[] sizes, LayerPlanLimits limits, string paramName)
    {
        string? error = Validate(sizes, limits, out _);
        return error is null ? new LayerPlan(ImmutableArray.Create(sizes)) : throw new ArgumentException(error, paramName);
    }

    private static int FloorScaled(int side, double scale)
    {
        double value = Math.Floor(side * scale + ScaleFloorEpsilon);
        return (int)Math.Min(value, int.MaxValue);
    }

    private static bool TryParseCore(string text, LayerPlanLimits limits, out LayerPlan plan, out string? error)
    {
        plan = default;
        Span<LayerSize> sizes = stackalloc LayerSize[MaxLayerCount];
        int count = 0;
        ReadOnlySpan<char> rest = text;
        while (true)
        {
            int comma = rest.IndexOf(',');
            ReadOnlySpan<char> token = (comma < 0 ? rest : rest[..comma]).Trim();
            if (count == MaxLayerCount)
            {
                error = $"A layer plan holds at most {MaxLayerCount} layers; '{text}' has more.";
                return false;
            }
            if (!TryParseSize(token, out sizes[count]))
            {
                error = $"Layer {count}: '{token}' is not a layer size WIDTHxHEIGHT (e.g. 768x512) in '{text}'.";
                return false;
            }
            count++;
            if (comma < 0)
            {
                break;
            }
            rest = rest[(comma + 1)..];
        }
        error = Validate(sizes[..count], limits, out _);
        if (error is not null)
        {
            return false;
        }
        plan = CreateValidated(sizes[..count]);
        return true;
    }

    private static bool TryParseSize(ReadOnlySpan<char> token, out LayerSize size)
    {
        size = default;
        int x = token.IndexOfAny('x', 'X');
        if (x < 0)
        {
            return false;
        }
        // NumberStyles.None: digits only, so "+5", " 5", "5e2" and "1,000" are all rejected.
        if (!int.TryParse(token[..x], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            || !int.TryParse(token[(x + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int h))
        {
            return false;
        }
        size = new LayerSize(w, h);
        return true;
    }

    private static InvalidOperationException EmptyPlan() => new("The layer plan is empty (default(LayerPlan)); make plans with LayerPlan.FromScales, FromSizes or Parse.");
}
