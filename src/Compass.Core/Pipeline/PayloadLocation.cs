namespace Compass.Pipeline;

/// <summary>
/// Where one layer's rANS strings sit in the whole stream. The entropy decoder only sees a string, so its
/// offsets count from that string's first byte; this restates its errors with the layer and the absolute
/// byte, which is what a user can look up in a hex dump or in <c>compass info</c>.
/// </summary>
/// <param name="Layer">The layer index.</param>
/// <param name="PayloadOffset">Offset of the layer's payload (its z length field) in the stream; null when the
/// strings did not come from a stream (then errors keep the string-relative offset and say so).</param>
/// <param name="ZLength">Length of the z string, which precedes the y string in the payload.</param>
internal readonly record struct PayloadLocation(int Layer, long? PayloadOffset, int ZLength)
{
    /// <summary>Restates an error of the z (<paramref name="isY"/> false) or y string of this layer.</summary>
    /// <param name="error">The entropy decoder's error; its offset, if any, counts from the string's start.</param>
    /// <param name="isY">Whether the string is the y string.</param>
    /// <param name="length">The string's length in bytes.</param>
    public CompassFormatException Restate(CompassFormatException error, bool isY, int length)
    {
        string what = isY ? "y symbols" : "z symbols";
        // Errors without an offset (a string of impossible length) concern the string as a whole: its first byte.
        long relative = error.ByteOffset ?? 0;
        if (PayloadOffset is not { } payload)
            return new CompassFormatException(error.Kind, $"Layer {Layer}, {what}: {error.Detail.TrimEnd('.')} (at byte {relative} of the {length}-byte string)", error);
        long start = payload + Bitstream.BitstreamFormat.ZLengthSize + (isY ? ZLength : 0);
        return new CompassFormatException(error.Kind, $"Layer {Layer}, {what} ({length} bytes from stream offset {start}): {error.Detail.TrimEnd('.')}", start + relative, error);
    }
}
