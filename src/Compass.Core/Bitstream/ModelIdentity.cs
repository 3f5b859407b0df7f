using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Compass.Bitstream;

/// <summary>
/// The identity of a model bundle: the SHA-256 hash of its bytes, stored in every bitstream header so a
/// decoder can refuse a stream made with another model (which would decode to garbage). Its text form
/// is 64 lowercase hex digits. <c>default(ModelIdentity)</c> is all zeros and means "unspecified".
/// </summary>
public readonly struct ModelIdentity : IEquatable<ModelIdentity>
{
    /// <summary>Length of an identity in bytes (a SHA-256 hash).</summary>
    public const int Size = 32;

    private readonly Bytes32 _bytes;

    /// <summary>Wraps 32 bytes, e.g. a SHA-256 hash computed elsewhere.</summary>
    /// <param name="bytes">Exactly <see cref="Size"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    public ModelIdentity(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A model identity is {Size} bytes, got {bytes.Length}.", nameof(bytes));
        }
        bytes.CopyTo(_bytes);
    }

    /// <summary>Whether this is the all-zero "unspecified" identity.</summary>
    public bool IsZero => ((ReadOnlySpan<byte>)_bytes).IndexOfAnyExcept((byte)0) < 0;

    /// <summary>The identity of a model bundle held in memory: SHA-256 of <paramref name="bundle"/>.</summary>
    /// <param name="bundle">The bundle's bytes.</param>
    public static ModelIdentity Compute(ReadOnlySpan<byte> bundle)
    {
        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(bundle, hash);
        return new ModelIdentity(hash);
    }

    /// <summary>The identity of a model bundle read from <paramref name="bundle"/> to its end.</summary>
    /// <param name="bundle">A readable stream positioned at the bundle's first byte.</param>
    public static ModelIdentity Compute(Stream bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(bundle, hash);
        return new ModelIdentity(hash);
    }

    /// <summary>Parses 64 hex digits (either case).</summary>
    /// <param name="hex">The text form.</param>
    /// <exception cref="FormatException"><paramref name="hex"/> is not 64 hex digits.</exception>
    public static ModelIdentity Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return TryParse(hex, out var id) ? id : throw new FormatException($"A model identity is {Size * 2} hex digits; '{hex}' is not.");
    }

    /// <summary>Tries to parse 64 hex digits (either case); never throws.</summary>
    /// <param name="hex">The text form.</param>
    /// <param name="identity">The identity, or default when the result is false.</param>
    /// <returns>Whether <paramref name="hex"/> was valid.</returns>
    public static bool TryParse(string? hex, out ModelIdentity identity)
    {
        identity = default;
        Span<byte> bytes = stackalloc byte[Size];
        if (hex is null || hex.Length != Size * 2 || Convert.FromHexString(hex, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }
        identity = new ModelIdentity(bytes);
        return true;
    }

    /// <summary>Copies the 32 bytes to <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void CopyTo(Span<byte> destination) => ((ReadOnlySpan<byte>)_bytes).CopyTo(destination);

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray() => ((ReadOnlySpan<byte>)_bytes).ToArray();

    /// <summary>The 64 lowercase hex digits.</summary>
    public override string ToString() => Convert.ToHexStringLower(_bytes);

    /// <summary>Whether both identities hold the same bytes.</summary>
    /// <param name="other">The identity to compare with.</param>
    public bool Equals(ModelIdentity other) => ((ReadOnlySpan<byte>)_bytes).SequenceEqual(other._bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ModelIdentity other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(_bytes); // already a uniform hash

    /// <summary>Whether both identities hold the same bytes.</summary>
    public static bool operator ==(ModelIdentity left, ModelIdentity right) => left.Equals(right);

    /// <summary>Whether the identities differ.</summary>
    public static bool operator !=(ModelIdentity left, ModelIdentity right) => !left.Equals(right);

    [InlineArray(Size)]
    private struct Bytes32
    {
        private byte _element0;
    }
}
