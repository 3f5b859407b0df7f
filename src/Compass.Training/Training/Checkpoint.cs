using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Compass.Training.Training;

/// <summary>
/// A checkpoint file: a JSON header plus named binary sections, sealed with a checksum.
/// </summary>
/// <remarks>
/// Layout (little-endian), format version 1:
/// <code>
/// "CMPSCKPT"            8-byte magic
/// int32 version         = 1
/// int32 n, n bytes      UTF-8 JSON of <see cref="CheckpointHeader"/>
/// int32 count           sections, each: 7-bit-length-prefixed UTF-8 name, int64 length, bytes
/// uint64 xxhash64       of every byte before it
/// </code>
/// Sections written by the <see cref="Trainer"/>: <c>model</c> (TorchSharp <c>Module.save</c> format),
/// <c>optimizer</c> and <c>aux_optimizer</c> (TorchSharp <c>save_state_dict</c> format of Adam),
/// <c>torch_rng</c> (the CPU generator state tensor). Files are written with <see cref="AtomicFile"/>.
/// </remarks>
public sealed class Checkpoint
{
    private static readonly byte[] Magic = "CMPSCKPT"u8.ToArray();

    /// <summary>The format version this code writes and reads.</summary>
    public const int FormatVersion = 1;

    // Metrics of a diverging run can be NaN or infinite: they are written as "NaN"/"Infinity" rather than lost with the checkpoint.
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Creates a checkpoint in memory.</summary>
    public Checkpoint(CheckpointHeader header, IReadOnlyDictionary<string, byte[]> sections)
    {
        Header = header ?? throw new ArgumentNullException(nameof(header));
        Sections = sections ?? throw new ArgumentNullException(nameof(sections));
    }

    /// <summary>The header.</summary>
    public CheckpointHeader Header { get; }

    /// <summary>The binary sections by name.</summary>
    public IReadOnlyDictionary<string, byte[]> Sections { get; }

    /// <summary>Writes the checkpoint to a stream.</summary>
    public void WriteTo(Stream stream)
    {
        var hasher = new XxHash64();
        void Put(ReadOnlySpan<byte> bytes)
        {
            hasher.Append(bytes);
            stream.Write(bytes);
        }
        Span<byte> buf = stackalloc byte[8];
        Put(Magic);
        BinaryPrimitives.WriteInt32LittleEndian(buf, FormatVersion); Put(buf[..4]);
        var json = JsonSerializer.SerializeToUtf8Bytes(Header, Json);
        BinaryPrimitives.WriteInt32LittleEndian(buf, json.Length); Put(buf[..4]);
        Put(json);
        BinaryPrimitives.WriteInt32LittleEndian(buf, Sections.Count); Put(buf[..4]);
        foreach (var (name, bytes) in Sections.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var prefix = new MemoryStream();
            using (var w = new BinaryWriter(prefix, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(name);
                w.Write((long)bytes.Length);
            }
            Put(prefix.ToArray());
            Put(bytes);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(buf, hasher.GetCurrentHashAsUInt64());
        stream.Write(buf);
    }

    /// <summary>Writes the checkpoint to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>Reads and verifies a checkpoint file.</summary>
    /// <exception cref="CompassFormatException">Not a checkpoint, another version, truncated, or the checksum fails.</exception>
    public static Checkpoint Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return Parse(bytes, path);
    }

    /// <summary>Parses and verifies checkpoint bytes.</summary>
    /// <exception cref="CompassFormatException">Not a checkpoint, another version, truncated, or the checksum fails.</exception>
    public static Checkpoint Parse(byte[] bytes, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        string what = source is null ? "checkpoint" : $"checkpoint '{source}'";
        if (bytes.Length < Magic.Length + 4 + 4 + 4 + 8 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CompassFormatException($"The {what} is not a Compass checkpoint (bad magic or too short).");
        int body = bytes.Length - 8;
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(body));
        if (XxHash64.HashToUInt64(bytes.AsSpan(0, body)) != stored)
            throw new CompassFormatException($"The {what} is corrupt or truncated (checksum mismatch).");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, Magic.Length, body - Magic.Length), Encoding.UTF8);
            int version = reader.ReadInt32();
            if (version != FormatVersion)
                throw new CompassFormatException($"The {what} has format version {version}; this build reads version {FormatVersion}.");
            int jsonLength = reader.ReadInt32();
            var header = JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadBytes(jsonLength), Json)
                         ?? throw new CompassFormatException($"The {what} has an empty header.");
            int count = reader.ReadInt32();
            var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                long length = reader.ReadInt64();
                if (length < 0 || length > int.MaxValue) throw new CompassFormatException($"The {what} has a bad section length.");
                var data = reader.ReadBytes((int)length);
                if (data.Length != length) throw new CompassFormatException($"The {what} ends inside section '{name}'.");
                sections[name] = data;
            }
            return new Checkpoint(header, sections);
        }
        catch (Exception ex) when (ex is EndOfStreamException or JsonException)
        {
            throw new CompassFormatException($"The {what} is malformed: {ex.Message}");
        }
    }
}
