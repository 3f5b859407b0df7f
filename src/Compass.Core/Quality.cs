using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Compass;

/// <summary>
/// A quality: a number in steps of 1/256 (Q8.8 fixed point) from 1/256 to 255 + 255/256, higher meaning more
/// bits. Whole numbers keep the ladder's meaning (quality q is CompressAI's rate point q: lambda 0.0018, 0.0035,
/// 0.0067, 0.0130, 0.0250, 0.0483 for q = 1..6). Which qualities a model codes depends on the model
/// (<see cref="CompassModel.IsAvailable"/>): a variable-rate model codes every quality in its range, a single-rate
/// model set only its whole-number levels. A version-2 bitstream records each layer's quality as its Q8.8 value.
/// </summary>
/// <remarks><c>default(Quality)</c> is 1, so every value of this type is valid. Values are checked once, where
/// they are made: by the constructors, <see cref="FromQ88"/>, <see cref="TryCreate(double, out Quality)"/>,
/// <see cref="Parse"/> and <see cref="TryParse"/>.</remarks>
public readonly struct Quality : IEquatable<Quality>, IComparable<Quality>, ISpanFormattable
{
    /// <summary>The lowest whole-number level.</summary>
    public const int MinValue = 1;

    /// <summary>The highest whole-number level.</summary>
    public const int MaxValue = byte.MaxValue;

    /// <summary>The resolution of a quality: values are multiples of 1/<see cref="Scale"/>.</summary>
    public const int Scale = 256;

    // The Q8.8 value minus 256, so that default(Quality) is 1.
    private readonly ushort _offset;

    /// <summary>Creates a whole-number quality.</summary>
    /// <param name="value">The level, <see cref="MinValue"/> to <see cref="MaxValue"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside 1..255.</exception>
    public Quality(int value)
    {
        if (!IsValid(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, RangeMessage(value));
        _offset = unchecked((ushort)((value * Scale) - Scale));
    }

    /// <summary>Creates a quality from a number, rounded to the nearest 1/256.</summary>
    /// <param name="value">The quality, e.g. 2.5; after rounding 1/256 to 65535/256.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not finite or outside the range after rounding.</exception>
    public Quality(double value)
    {
        if (!TryRound(value, out int raw))
            throw new ArgumentOutOfRangeException(nameof(value), value, RangeMessage(value));
        _offset = unchecked((ushort)(raw - Scale));
    }

    /// <summary>The quality as a number (exact: a multiple of 1/256).</summary>
    public double Value => Q88 / (double)Scale;

    /// <summary>The Q8.8 fixed-point value, 1 to 65535 (the quality times 256), as a bitstream stores it.</summary>
    public int Q88 => (ushort)(_offset + Scale);

    /// <summary>Whether the quality is a whole number (a level of a single-rate ladder).</summary>
    public bool IsWholeNumber => Q88 % Scale == 0;

    /// <summary>Whether <paramref name="value"/> is a whole-number level (1 to 255).</summary>
    /// <param name="value">The candidate level.</param>
    public static bool IsValid(int value) => value is >= MinValue and <= MaxValue;

    /// <summary>Creates a whole-number level without throwing.</summary>
    /// <param name="value">The candidate level.</param>
    /// <param name="quality">The level when <paramref name="value"/> is in range.</param>
    /// <returns>Whether <paramref name="value"/> is in range.</returns>
    public static bool TryCreate(int value, out Quality quality)
    {
        quality = IsValid(value) ? new Quality(value) : default;
        return IsValid(value);
    }

    /// <summary>Creates a quality from a number (rounded to the nearest 1/256) without throwing.</summary>
    /// <param name="value">The candidate quality.</param>
    /// <param name="quality">The quality when <paramref name="value"/> is in range.</param>
    /// <returns>Whether <paramref name="value"/> is finite and in range after rounding.</returns>
    public static bool TryCreate(double value, out Quality quality)
    {
        bool ok = TryRound(value, out int raw);
        quality = ok ? FromQ88(raw) : default;
        return ok;
    }

    /// <summary>The quality with Q8.8 value <paramref name="q88"/> (the quality times 256).</summary>
    /// <param name="q88">1 to 65535.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="q88"/> is outside 1..65535.</exception>
    public static Quality FromQ88(int q88)
    {
        if (q88 is < 1 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(q88), q88, string.Create(CultureInfo.InvariantCulture, $"A Q8.8 quality is 1 to 65535, not {q88}."));
        return new Quality(q88, raw: true);
    }

    /// <summary>Parses a quality such as <c>3</c> or <c>2.5</c> (invariant culture, rounded to the nearest 1/256).</summary>
    /// <param name="text">The text.</param>
    /// <exception cref="FormatException"><paramref name="text"/> is not a number in range.</exception>
    public static Quality Parse(string text) =>
        TryParse(text, out var quality) ? quality : throw new FormatException($"'{text}' is not a quality: use a number from 1/256 to 255.99 such as 3 or 2.5.");

    /// <summary>Parses a quality such as <c>3</c> or <c>2.5</c> (invariant culture, rounded to the nearest 1/256) without throwing.</summary>
    /// <param name="text">The text.</param>
    /// <param name="quality">The quality when the text is a number in range.</param>
    /// <returns>Whether the text is a number in range.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out Quality quality)
    {
        quality = default;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && TryCreate(value, out quality);
    }

    /// <summary>The message for an out-of-range quality (shared by every caller that reports one).</summary>
    /// <param name="value">The rejected value.</param>
    public static string RangeMessage(double value) =>
        string.Create(CultureInfo.InvariantCulture, $"Quality {value} is outside 1/256..255.99 (qualities are multiples of 1/256; whole levels {MinValue}..{MaxValue}).");

    /// <summary>Checks and converts an <see cref="int"/>.</summary>
    /// <param name="value">The level.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside 1..255.</exception>
    public static explicit operator Quality(int value) => new(value);

    /// <summary>Checks and converts a <see cref="double"/> (rounded to the nearest 1/256).</summary>
    /// <param name="value">The quality.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is out of range.</exception>
    public static explicit operator Quality(double value) => new(value);

    /// <summary>The quality as a number.</summary>
    /// <param name="quality">The quality.</param>
    public static implicit operator double(Quality quality) => quality.Value;

    /// <inheritdoc />
    public bool Equals(Quality other) => _offset == other._offset;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Quality other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Q88;

    /// <inheritdoc />
    public int CompareTo(Quality other) => Q88.CompareTo(other.Q88);

    /// <summary>Whether two qualities are equal.</summary>
    /// <param name="left">A quality.</param>
    /// <param name="right">Another quality.</param>
    public static bool operator ==(Quality left, Quality right) => left.Equals(right);

    /// <summary>Whether two qualities differ.</summary>
    /// <param name="left">A quality.</param>
    /// <param name="right">Another quality.</param>
    public static bool operator !=(Quality left, Quality right) => !left.Equals(right);

    /// <summary>Whether <paramref name="left"/> is lower.</summary>
    /// <param name="left">A quality.</param>
    /// <param name="right">Another quality.</param>
    public static bool operator <(Quality left, Quality right) => left.Q88 < right.Q88;

    /// <summary>Whether <paramref name="left"/> is higher.</summary>
    /// <param name="left">A quality.</param>
    /// <param name="right">Another quality.</param>
    public static bool operator >(Quality left, Quality right) => left.Q88 > right.Q88;

    /// <summary>Whether <paramref name="left"/> is lower or equal.</summary>
    /// <param name="left">A quality.</param>
    /// <param name="right">Another quality.</param>
    public static bool operator <=(Quality left, Quality right) => left.Q88 <= right.Q88;

    /// <summary>Whether <paramref name="left"/> is higher or equal.</summary>
    /// <param name="left">A quality.</param>
    /// <param name="right">Another quality.</param>
    public static bool operator >=(Quality left, Quality right) => left.Q88 >= right.Q88;

    /// <summary>The quality as a number in the invariant culture, e.g. <c>3</c> or <c>2.5</c> (exact: at most 8 decimals).</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => Value.ToString(format, formatProvider);

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        Value.TryFormat(destination, out charsWritten, format, provider);

    private Quality(int q88, bool raw)
    {
        _ = raw;
        _offset = unchecked((ushort)(q88 - Scale));
    }

    private static bool TryRound(double value, out int raw)
    {
        raw = 0;
        if (!double.IsFinite(value)) return false;
        double r = Math.Round(value * Scale, MidpointRounding.AwayFromZero);
        if (r is < 1 or > ushort.MaxValue) return false;
        raw = (int)r;
        return true;
    }
}
