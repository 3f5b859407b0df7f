using System.Globalization;

namespace Compass.Cli;

/// <summary>Parses sizes such as <c>1.5GB</c>, <c>800MB</c>, <c>512MiB</c> or <c>1073741824</c> (bytes); units are powers of 1024.</summary>
internal static class MemorySize
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("GIB", 1L << 30), ("GB", 1L << 30), ("G", 1L << 30),
        ("MIB", 1L << 20), ("MB", 1L << 20), ("M", 1L << 20),
        ("KIB", 1L << 10), ("KB", 1L << 10), ("K", 1L << 10),
        ("B", 1),
    ];

    /// <summary>The size in bytes, or false when <paramref name="text"/> is not a non-negative number with an optional unit.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string value = text.Trim().ToUpperInvariant();
        long factor = 1;
        foreach (var (suffix, unit) in Units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal))
            {
                value = value[..^suffix.Length].TrimEnd();
                factor = unit;
                break;
            }
        }
        if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number)
            || !double.IsFinite(number) || number * factor >= long.MaxValue) return false;
        bytes = (long)Math.Round(number * factor);
        return true;
    }
}
