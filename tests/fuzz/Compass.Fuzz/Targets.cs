using System.Buffers.Binary;
using System.IO.Hashing;
using Compass.Bitstream;
using Compass.Bundles;
using Compass.Determinism;
using Compass.EntropyCoding;
using Compass.ImageSharp;
using Compass.Imaging;
using Compass.SkiaSharp;
using Compass.Testing;

namespace Compass.Fuzz;

/// <summary>
/// The fuzz targets. Each takes arbitrary bytes and must end in success or <see cref="CompassFormatException"/>;
/// any other exception escapes and is reported to libFuzzer as a crash.
/// </summary>
internal static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["bitstream"] = Bitstream,
        ["rans"] = Rans,
        ["hyperscales"] = HyperScales,
        ["bundle"] = Bundle,
        ["tables"] = Tables,
        ["decoder"] = Decoder,
        ["image"] = Image,
    };

    // Lazy: instrumented Compass.Core code must not run before Fuzzer.LibFuzzer.Run has mapped the coverage memory.
    private static readonly Lazy<QuantizedCdfTable> Gaussian = new(() => GaussianTableBuilder.Build(GaussianTableBuilder.DefaultScaleTable()));
    private static readonly Lazy<QuantizedCdfTable> Factorized = new(() => new FakeNetworks().GetTables(Pipeline.CodecRole.Base).ZTables);
    private static readonly Lazy<FakeModel> Model = new(() => new FakeModel());

    /// <summary>COMPASS_FUZZ_STRICT=1 (with 'repro'): rethrow CompassFormatException too, to check that seeds are valid.</summary>
    private static readonly bool Strict = Environment.GetEnvironmentVariable("COMPASS_FUZZ_STRICT") == "1";

    /// <summary>Runs <paramref name="body"/>, swallowing only the library's bad-input exception.</summary>
    private static void Expect(Action body)
    {
        try
        {
            body();
        }
        catch (CompassFormatException) when (!Strict)
        {
        }
    }

    /// <summary>(a) The header and chunk reader and the inspector: raw bytes, and the same bytes with every CRC repaired
    /// (otherwise nearly every mutation stops at a CRC check).</summary>
    public static void Bitstream(byte[] data)
    {
        Expect(() => BitstreamInspector.Inspect(new MemoryStream(data, writable: false)));
        var fixedUp = Crcs.Repair(data);
        Expect(() => BitstreamInspector.Inspect(new MemoryStream(fixedUp, writable: false)));
        Expect(() =>
        {
            using var reader = new BitstreamReader(new MemoryStream(fixedUp, writable: false));
            while (reader.ReadLayer() is not null)
            {
            }
        });
        Expect(() =>
        {
            using var reader = new BitstreamReader(new OneByteStream(fixedUp));
            reader.ReadAvailableLayers();
        });
    }

    /// <summary>
    /// (b) The rANS decoder with the real Gaussian tables (or the fake model's factorized z tables).
    /// Layout: [table set: 1 byte][symbol count: uint16 LE, mod 4097][one table index byte per symbol][rANS bytes].
    /// Indexes are reduced modulo the table count (out-of-range indexes are an ArgumentOutOfRangeException by contract;
    /// the decoder never receives them from a stream).
    /// </summary>
    public static void Rans(byte[] data)
    {
        if (data.Length < 3) return;
        var tables = (data[0] & 1) == 0 ? Gaussian.Value : Factorized.Value;
        int n = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(1)) % 4097;
        n = Math.Min(n, data.Length - 3);
        var indexes = new int[n];
        for (int i = 0; i < n; i++) indexes[i] = data[3 + i] % tables.Count;
        var symbols = new int[n];
        var bytes = data.AsSpan(3 + n).ToArray();
        Expect(() => RansDecoder.Decode(bytes, indexes, tables, symbols));
    }

    /// <summary>(c1) The fixed-point h_s blob loader; a blob that loads is also run on a small latent,
    /// where every index must be a table.</summary>
    public static void HyperScales(byte[] data)
    {
        FixedPointHyperScales model;
        try
        {
            model = FixedPointHyperScales.Load(data);
        }
        catch (CompassFormatException)
        {
            return;
        }
        const int yh = 5, yw = 6;
        var (zh, zw) = FixedPointHyperScales.ZSize(yh, yw);
        if ((long)model.ZChannels * zh * zw > 1 << 16 || (long)model.YChannels * yh * yw > 1 << 16) return;
        var symbols = new int[model.ZChannels * zh * zw];
        for (int i = 0; i < symbols.Length; i++) symbols[i] = (i * 7 % 11) - 5;
        var medians = new float[model.ZChannels];
        for (int i = 0; i < medians.Length; i++) medians[i] = (i % 5 - 2) * 0.37f;
        var indexes = new int[model.YChannels * yh * yw];
        model.ComputeIndexes(symbols, medians, zh, zw, yh, yw, indexes, maxDegreeOfParallelism: 1);
        foreach (int index in indexes)
        {
            if ((uint)index >= (uint)model.TableCount)
                throw new InvalidOperationException($"ComputeIndexes produced index {index} outside the {model.TableCount} tables");
        }
    }

    /// <summary>(c2) The model bundle loader on zip bytes; every file of a bundle that loads is read.</summary>
    public static void Bundle(byte[] data)
    {
        Expect(() =>
        {
            var bundle = ModelBundle.Load(new MemoryStream(data, writable: false));
            foreach (var name in bundle.FileNames) _ = bundle.GetBytes(name).Length;
        });
    }

    /// <summary>(c3) The entropy.json reader (the tables a bundle's codecs load).</summary>
    public static void Tables(byte[] data) => Expect(() => EntropyTablesFile.Read(data, "fuzz"));

    /// <summary>(d) The whole ScalableDecoder over the fake model, on the bytes with every CRC repaired.
    /// The last byte is not part of the stream: its bit 0 sets AllowTruncation.</summary>
    public static void Decoder(byte[] data)
    {
        if (data.Length == 0) return;
        bool allowTruncation = (data[^1] & 1) == 1;
        var bytes = Crcs.Repair(data[..^1]);
        Expect(() =>
        {
            using var result = new ScalableDecoder(Model.Value).Decode(bytes, new DecodeOptions { AllowTruncation = allowTruncation });
        });
    }

    // The compass tool's input limits, smaller so that a mutated header cannot make a single input decode for long.
    private static readonly ImageInputLimits ImageLimits = new() { MaxPixels = 4L * 1024 * 1024, MaxFrames = 64 };

    /// <summary>
    /// (e) The input-image decoders of the compass tool: both adapters' loaders (Skia's codecs and ImageSharp 2.1
    /// with header limits) on the same bytes, each to a <see cref="PixelBuffer"/>.
    /// </summary>
    public static void Image(byte[] data)
    {
        Expect(() => SkiaImageLoader.LoadPixels(new MemoryStream(data, writable: false), ImageLimits));
        Expect(() => ImageSharpLoader.LoadPixels(new MemoryStream(data, writable: false), ImageLimits));
    }

    /// <summary>
    /// Not a fuzz target (not in <see cref="All"/>): only tests/fuzz/replay.sh --self-test uses it, to check that the
    /// replay fails when the contract is broken. Input (ASCII): "ok" and "format" (a CompassFormatException) pass;
    /// "throw" (InvalidOperationException), "oom" (a 1.5 GiB array, over the 1 GiB GC heap limit) and "hang" fail.
    /// </summary>
    public static void SelfTest(byte[] data)
    {
        switch (System.Text.Encoding.ASCII.GetString(data).Trim())
        {
            case "format": Expect(() => throw new CompassFormatException("self-test: a format error is a pass")); break;
            case "throw": throw new InvalidOperationException("self-test: a non-format exception is a failure");
            case "oom": GC.KeepAlive(new byte[1536 << 20]); break;
            case "hang": Thread.Sleep(Timeout.Infinite); break;
        }
    }
}

/// <summary>Repairs the header CRC, the metadata chunk's CRC and every complete layer chunk's CRC of a would-be bitstream (see docs/bitstream.md).</summary>
internal static class Crcs
{
    public static byte[] Repair(byte[] data)
    {
        var bytes = (byte[])data.Clone();
        if (bytes.Length < 49) return bytes; // the smallest header: version 1, one layer
        int count = bytes[40];
        if (count is < 1 or > LayerPlan.MaxLayerCount) return bytes;
        // Version 1 has 4 header bytes per layer (width, height), version 2 ten (plus quality and stepQ16).
        int headerSize = 45 + ((bytes[4] == 1 ? 4 : 10) * count);
        if (bytes.Length < headerSize) return bytes;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(headerSize - 4), Crc32.HashToUInt32(bytes.AsSpan(0, headerSize - 4)));
        long pos = headerSize;
        var crc = new Crc32();
        // Version 2 with flag bit 1: the metadata chunk comes first; its CRC covers the marker byte 0xFF (not stored),
        // its length field and its body, so mutations of the entry table reach the table's parser.
        if (bytes[4] != 1 && (bytes[7] & 0x02) != 0 && pos + 8 <= bytes.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)pos));
            if (pos + 8 + length > bytes.Length) return bytes;
            crc.Append([0xFF]);
            crc.Append(bytes.AsSpan((int)pos, 4));
            crc.Append(bytes.AsSpan((int)pos + 8, (int)length));
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)pos + 4), crc.GetCurrentHashAsUInt32());
            pos += 8 + length;
        }
        for (int layer = 0; layer < count && pos + 8 <= bytes.Length; layer++)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)pos));
            if (pos + 8 + length > bytes.Length) break;
            crc.Reset();
            crc.Append([(byte)layer]);
            crc.Append(bytes.AsSpan((int)pos, 4));
            crc.Append(bytes.AsSpan((int)pos + 8, (int)length));
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)pos + 4), crc.GetCurrentHashAsUInt32());
            pos += 8 + length;
        }
        return bytes;
    }
}

/// <summary>A non-seekable stream that returns at most one byte per read (a slow network), to exercise partial reads.</summary>
internal sealed class OneByteStream(byte[] data) : Stream
{
    private int _pos;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0 || _pos >= data.Length) return 0;
        buffer[0] = data[_pos++];
        return 1;
    }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
