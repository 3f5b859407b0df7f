namespace Compass.Bitstream;

/// <summary>Builds the <see cref="CompassFormatException"/>s of the bitstream code, so messages stay consistent.</summary>
internal static class BitstreamErrors
{
    /// <summary>Start of every truncation message; callers may look for it.</summary>
    public const string TruncatedPrefix = "Bitstream truncated";

    // Marks truncation exceptions so the reader can tell them from corruption without parsing messages.
    private const string TruncationKey = "Compass.Bitstream.Truncated";

    public static CompassFormatException TruncatedHeader(long position) =>
        MarkTruncation(new($"{TruncatedPrefix} in the header: the stream ended after {position} bytes", position));

    public static CompassFormatException TruncatedLayer(int layer, int layerCount, long position, string detail) =>
        MarkTruncation(new($"{TruncatedPrefix} in layer {layer} of {layerCount}: {detail}", position));

    public static CompassFormatException TrailingBytes(int layerCount, long position) =>
        new($"Unexpected bytes after the last layer (layer {layerCount - 1}); a bitstream ends with its last chunk", position);

    public static bool IsTruncation(Exception ex) => ex is CompassFormatException && ex.Data[TruncationKey] is true;

    private static CompassFormatException MarkTruncation(CompassFormatException ex)
    {
        ex.Data[TruncationKey] = true;
        return ex;
    }
}
