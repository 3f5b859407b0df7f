using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Compass;

/// <summary>
/// A quality level, 1 (fewest bits) to 255: the one place its range is checked. Which levels exist depends on the
/// model (<see cref="CompassModel.Qualities"/>); a bitstream records its level in one byte.
/// </summary>
/// <remarks><c>default(Quality)</c> is level 1, so every value of this type is a valid level. It converts
/// implicitly to <see cref="int"/>; an <see cref="int"/> becomes a <see cref="Quality"/> only through the
/// constructor, <see cref="TryCreate"/> or the explicit conversion, which check the range.</remarks>
public readonly struct Quality : IEquatable<Quality>, IComparable<Quality>, ISpanFormattable
{
    /// <summary>The lowest level.</summary>
    public const int MinValue = 1;

    /// <summary>The highest level a bitstream can record.</summary>
    public const int MaxValue = byte.MaxValue;

    // Stored minus one so that default(Quality) is a valid level.
    private readonly byte _offset;

    /// <summary>Creates a quality level.</summary>
    /// <param name="value">The level, <see cref="MinValue"/> to <see cref="MaxValue"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside 1..255.</exception>
    public Quality(int value)
    {
        if (!IsValid(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, RangeMessage(value));
        _offset = (byte)(value - MinValue);
    }

    /// <summary>The level, 1 to 255.</summary>
    public int Value => _offset + MinValue;

    /// <summary>Whether <paramref name="value"/> is a level (1 to 255).</summary>
    /// <param name="value">The candidate level.</param>
    public static bool IsValid(int value) => value is >= MinValue and <= MaxValue;

    /// <summary>Creates a level without throwing.</summary>
    /// <param name="value">The candidate level.</param>
    /// <param name="quality">The level when <paramref name="value"/> is in range.</param>
    /// <returns>Whether <paramref name="value"/> is in range.</returns>
    public static bool TryCreate(int value, out Quality quality)
    {
        quality = IsValid(value) ? new Quality(value) : default;
        return IsValid(value);
    }

    /// <summary>The message for an out-of-range level (shared by every caller that reports one).</summary>
    /// <param name="value">The rejected value.</param>
    public static string RangeMessage(int value) =>
        string.Create(CultureInfo.InvariantCulture, $"Quality {value} is outside {MinValue}..{MaxValue}.");

    /// <summary>The level as an <see cref="int"/>.</summary>
    /// <param name="quality">The level.</param>
    public static implicit operator int(Quality quality) => quality.Value;

    /// <summary>Checks and converts an <see cref="int"/>.</summary>
    /// <param name="value">The level.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside 1..255.</exception>
    public static explicit operator Quality(int value) => new(value);

    /// <inheritdoc />
    public bool Equals(Quality other) => _offset == other._offset;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Quality other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _offset;

    /// <inheritdoc />
    public int CompareTo(Quality other) => _offset.CompareTo(other._offset);

    /// <summary>Whether two levels are equal.</summary>
    /// <param name="left">A level.</param>
    /// <param name="right">Another level.</param>
    public static bool operator ==(Quality left, Quality right) => left.Equals(right);

    /// <summary>Whether two levels differ.</summary>
    /// <param name="left">A level.</param>
    /// <param name="right">Another level.</param>
    public static bool operator !=(Quality left, Quality right) => !left.Equals(right);

    /// <summary>The level as a number, e.g. <c>3</c>.</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => Value.ToString(format, formatProvider);

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        Value.TryFormat(destination, out charsWritten, format, provider);
}
