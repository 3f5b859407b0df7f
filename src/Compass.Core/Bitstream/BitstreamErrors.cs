namespace Compass.Bitstream;

/// <summary>Builds the <see cref="CompassFormatException"/>s of the bitstream code, so messages stay consistent.</summary>
internal static class BitstreamErrors
{
    /// <summary>Start of every truncation message (for people reading them; code checks <see cref="CompassFormatException.Kind"/>).</summary>
    public const string TruncatedPrefix = "Bitstream truncated";

    public static CompassFormatException TruncatedHeader(long position) =>
        new(CompassFormatErrorKind.Truncated, $"{TruncatedPrefix} in the header: the stream ended after {position} bytes", position);

    public static CompassFormatException TruncatedLayer(int layer, int layerCount, long position, string detail) =>
        new(CompassFormatErrorKind.Truncated, $"{TruncatedPrefix} in layer {layer} of {layerCount}: {detail}", position);

    public static CompassFormatException TrailingBytes(int layerCount, long position) =>
        new(CompassFormatErrorKind.TrailingData, $"Unexpected bytes after the last layer (layer {layerCount - 1}); a bitstream ends with its last chunk", position);
}
