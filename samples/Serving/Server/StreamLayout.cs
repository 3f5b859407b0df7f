using Compass.Bitstream;

namespace Compass.Samples.Serving;

/// <summary>Where each layer of a stored stream ends: the prefix a client needs for layers 0..k-1 is <c>LayerEnds[k-1]</c> bytes long.</summary>
/// <param name="Tag">The file version it was read from (size and write time), the base of the ETag.</param>
/// <param name="FileLength">The file's length in bytes.</param>
/// <param name="LastModified">The file's write time.</param>
/// <param name="LayerEnds">For each layer, the offset just past its chunk.</param>
public sealed record StreamLayout(string Tag, long FileLength, DateTimeOffset LastModified, IReadOnlyList<long> LayerEnds)
{
    /// <summary>
    /// Reads a file's layout with <see cref="BitstreamInspector"/>: the header, the metadata chunk (if any) and each
    /// chunk's length, every CRC checked, so that a client is never served a prefix of a damaged stream.
    /// </summary>
    /// <param name="file">A .cmps file.</param>
    /// <param name="tag">Its version, see <see cref="Tag"/>.</param>
    /// <exception cref="CompassFormatException">The file is not a complete, valid Compass stream.</exception>
    public static StreamLayout Read(FileInfo file, string tag)
    {
        using var stream = file.OpenRead();
        var summary = BitstreamInspector.Inspect(stream);
        if (!summary.IsValid)
        {
            throw summary.Error ?? new CompassFormatException(CompassFormatErrorKind.Corrupt, "a CRC does not match", 0);
        }
        var ends = summary.Layers.Select(l => l.Offset + l.ChunkBytes).ToArray();
        // Whole seconds, as HTTP dates carry them, so that an If-Range date sent back matches.
        var written = file.LastWriteTimeUtc;
        var lastModified = new DateTimeOffset(written.Ticks - (written.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        return new StreamLayout(tag, stream.Length, lastModified, ends);
    }
}
