using System.Diagnostics;
using Compass.EntropyCoding;
using CsCheck;

namespace Compass.Tests.EntropyCoding;

/// <summary>Damaged input must end in <see cref="CompassFormatException"/> or wrong symbols, never a crash or a hang.</summary>
public class RansDecoderRobustnessTests
{
    private static readonly (int[] Symbols, int[] Indexes) Latent = MakeLatent();

    private static (int[] Symbols, int[] Indexes) MakeLatent()
    {
        var (symbols, indexes) = RansRoundTripTests.GaussianLatent(3000, seed: 11);
        // Sprinkle escapes so damaged streams also exercise the bypass path.
        for (int i = 0; i < symbols.Length; i += 97) symbols[i] = (i % 2 == 0 ? 1 : -1) * (100000 + i);
        return (symbols, indexes);
    }

    private static bool DecodesOrRejects(ReadOnlySpan<byte> data, int[] indexes, QuantizedCdfTable tables)
    {
        try
        {
            RansDecoder.Decode(data, indexes, tables, new int[indexes.Length]);
            return true;
        }
        catch (CompassFormatException)
        {
            return false;
        }
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        var tables = TestTables.Gaussian;
        var bytes = RansEncoder.Encode(Latent.Symbols, Latent.Indexes, tables);
        for (int length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<CompassFormatException>(() =>
                RansDecoder.Decode(bytes.AsSpan(0, length), Latent.Indexes, tables, new int[Latent.Indexes.Length]));
            Assert.Contains("rANS", error.Message);
        }
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        var tables = TestTables.Gaussian;
        var bytes = RansEncoder.Encode(Latent.Symbols, Latent.Indexes, tables);
        var error = Assert.Throws<CompassFormatException>(() =>
            RansDecoder.Decode([.. bytes, 0, 0, 0, 0], Latent.Indexes, tables, new int[Latent.Indexes.Length]));
        Assert.Equal(bytes.Length, error.ByteOffset);
    }

    [Fact]
    public void DecodingFewerSymbolsThanEncodedIsRejected()
    {
        var tables = TestTables.Gaussian;
        var bytes = RansEncoder.Encode(Latent.Symbols, Latent.Indexes, tables);
        Assert.Throws<CompassFormatException>(() =>
            RansDecoder.Decode(bytes, Latent.Indexes.AsSpan(0, 2000), tables, new int[2000]));
    }

    [Fact]
    public void FlippedBitsAreRejectedOrDecodeToOtherSymbols()
    {
        var tables = TestTables.Gaussian;
        var bytes = RansEncoder.Encode(Latent.Symbols, Latent.Indexes, tables);
        int rejected = 0;
        for (int bit = 0; bit < bytes.Length * 8; bit += 7)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            if (!DecodesOrRejects(damaged, Latent.Indexes, tables)) rejected++;
        }
        // The final-state check catches flips that disturb the state. A flip inside an escape's raw 4-bit chunks
        // only changes that value (raw bits are shifted out of the state untouched), so it goes unnoticed.
        int tried = (bytes.Length * 8 + 6) / 7;
        Assert.True(rejected >= tried * 0.9, $"only {rejected} of {tried} flips rejected");
    }

    [Fact]
    public void RandomBytesNeverCrashOrHang()
    {
        var tables = TestTables.Gaussian;
        var singleSymbol = TestTables.SingleSymbol();
        var watch = Stopwatch.StartNew();
        Gen.Select(Gen.Byte.Array[0, 600], Gen.Int[0, 63].Array[0, 800])
            .Sample((data, indexes) =>
            {
                DecodesOrRejects(data, indexes, tables);
                // A one-symbol table escapes half the time on garbage: the bypass path gets hammered.
                DecodesOrRejects(data, new int[indexes.Length], singleSymbol);
            }, iter: 2000);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void BadLengthsAreRejectedUpFront()
    {
        var tables = TestTables.Small();
        foreach (int length in new[] { 0, 4, 7, 9, 13 })
            Assert.Throws<CompassFormatException>(() => RansDecoder.Decode(new byte[length], [], tables, []));
    }
}
