using System.CommandLine;
using System.CommandLine.Parsing;

namespace Compass.Training.Cli;

/// <summary>Range checks of option values that report through System.CommandLine's validators.</summary>
internal static class OptionValidation
{
    /// <summary>
    /// The value of an option, or false when its token does not convert (the parser already
    /// reports that error; System.CommandLine throws if a validator reads such a value).
    /// </summary>
    public static bool TryValue<T>(OptionResult r, out T value)
    {
        try
        {
            value = r.GetValueOrDefault<T>()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    /// <summary>The value must be at least <paramref name="min"/>.</summary>
    public static void AtLeast<T>(Option<T> option, T min) where T : IComparable<T> =>
        option.Validators.Add(r => { if (TryValue<T>(r, out var v) && v.CompareTo(min) < 0) r.AddError($"{option.Name} must be at least {min}."); });

    /// <summary>The value, when given, must be at least <paramref name="min"/>.</summary>
    public static void AtLeast<T>(Option<T?> option, T min) where T : struct, IComparable<T> =>
        option.Validators.Add(r => { if (TryValue<T?>(r, out var v) && v is { } value && value.CompareTo(min) < 0) r.AddError($"{option.Name} must be at least {min}."); });

    /// <summary>The value must not be negative.</summary>
    public static void NonNegative<T>(Option<T> option) where T : System.Numerics.INumber<T> =>
        option.Validators.Add(r => { if (TryValue<T>(r, out var v) && v < T.Zero) r.AddError($"{option.Name} must not be negative."); });

    /// <summary>The value must be positive and finite.</summary>
    public static void Positive(Option<double> option) =>
        option.Validators.Add(r => { if (TryValue<double>(r, out var v) && !(v > 0 && double.IsFinite(v))) r.AddError($"{option.Name} must be positive."); });

    /// <summary>The value, when given, must be positive and finite.</summary>
    public static void Positive(Option<double?> option) =>
        option.Validators.Add(r => { if (TryValue<double?>(r, out var v) && v is { } m && !(m > 0 && double.IsFinite(m))) r.AddError($"{option.Name} must be positive."); });

    /// <summary>The value must be 0 or positive, and finite.</summary>
    public static void ZeroOrPositive(Option<double> option) =>
        option.Validators.Add(r => { if (TryValue<double>(r, out var v) && !(v >= 0 && double.IsFinite(v))) r.AddError($"{option.Name} must be 0 or positive."); });
}
