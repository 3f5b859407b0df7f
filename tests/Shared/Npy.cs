using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Compass.Testing;

/// <summary>An array read from a NumPy <c>.npy</c> file: its shape and its values widened to double.</summary>
internal sealed record NpyArray(int[] Shape, double[] Data, string Dtype)
{
    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The values as float32 (for float fixtures).</summary>
    public float[] AsFloat() => Array.ConvertAll(Data, v => (float)v);

    /// <summary>The values as int64 (for symbols, indexes, CDF tables).</summary>
    public long[] AsLong() => Array.ConvertAll(Data, v => (long)v);

    /// <summary>The values as int32.</summary>
    public int[] AsInt() => Array.ConvertAll(Data, v => checked((int)v));

    /// <summary>The values as bytes (for uint8 byte strings).</summary>
    public byte[] AsBytes() => Array.ConvertAll(Data, v => checked((byte)v));
}

/// <summary>Minimal reader for the C-order little-endian .npy files of the official fixtures (f4, f8, i8, i4, u1).</summary>
internal static class Npy
{
    public static NpyArray Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path}: not a .npy file");
        int major = bytes[6];
        int headerLen, headerStart;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); headerStart = 10; }
        else { headerLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)); headerStart = 12; }
        var header = Encoding.ASCII.GetString(bytes, headerStart, headerLen);
        var descr = Regex.Match(header, @"'descr':\s*'([^']+)'").Groups[1].Value;
        if (Regex.IsMatch(header, @"'fortran_order':\s*True")) throw new NotSupportedException($"{path}: Fortran order");
        var shapeText = Regex.Match(header, @"'shape':\s*\(([^)]*)\)").Groups[1].Value;
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = new double[count];
        var body = bytes.AsSpan(headerStart + headerLen);
        for (int i = 0; i < count; i++)
        {
            data[i] = descr switch
            {
                "<f4" => BinaryPrimitives.ReadSingleLittleEndian(body[(i * 4)..]),
                "<f8" => BinaryPrimitives.ReadDoubleLittleEndian(body[(i * 8)..]),
                "<i8" => BinaryPrimitives.ReadInt64LittleEndian(body[(i * 8)..]),
                "<i4" => BinaryPrimitives.ReadInt32LittleEndian(body[(i * 4)..]),
                "|u1" => body[i],
                _ => throw new NotSupportedException($"{path}: dtype {descr}"),
            };
        }
        return new NpyArray(shape, data, descr);
    }
}
