namespace Compass.Bitstream;

/// <summary>
/// The coded data of one layer: the z stream (hyper-latent, factorised entropy model) and the y stream
/// (latent, Gaussian conditional), each an opaque range-coder output.
/// </summary>
public sealed class LayerPayload
{
    /// <summary>Wraps the two streams; the memory is referenced, not copied.</summary>
    /// <param name="zStream">The coded hyper-latent.</param>
    /// <param name="yStream">The coded latent.</param>
    public LayerPayload(ReadOnlyMemory<byte> zStream, ReadOnlyMemory<byte> yStream)
    {
        ZStream = zStream;
        YStream = yStream;
    }

    /// <summary>The coded hyper-latent z.</summary>
    public ReadOnlyMemory<byte> ZStream { get; }

    /// <summary>The coded latent y.</summary>
    public ReadOnlyMemory<byte> YStream { get; }

    /// <summary>
    /// The layer's alpha plane, coded losslessly (docs/bitstream.md, Alpha); empty unless the stream's header sets
    /// <see cref="BitstreamFlags.Alpha"/>, and then never empty.
    /// </summary>
    public ReadOnlyMemory<byte> AlphaStream { get; init; }

    /// <summary>
    /// Offset of the payload (its z length field) in the stream it was read from, set by <see cref="BitstreamReader"/>;
    /// null for payloads made in memory. Lets decoding errors name an absolute byte of the stream.
    /// </summary>
    internal long? StreamOffset { get; init; }

    /// <summary>Size of the payload in the stream: 4 (the z length) + z + y bytes, and 4 (the alpha length) + alpha bytes when it has alpha.</summary>
    public long Length => (long)BitstreamFormat.ZLengthSize + ZStream.Length + YStream.Length
        + (AlphaStream.IsEmpty ? 0 : BitstreamFormat.ZLengthSize + AlphaStream.Length);
}
