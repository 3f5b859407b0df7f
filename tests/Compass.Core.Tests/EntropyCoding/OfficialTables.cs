using Compass.EntropyCoding;
using Compass.Testing;

namespace Compass.Tests.EntropyCoding;

/// <summary>Loads the entropy tables and coded latents of the official mean-scale fixtures.</summary>
internal static class OfficialTables
{
    public static string MeanScale => Path.Combine(SharedData.Official, "meanscale");

    public static NpyArray Load(string name) => Npy.Load(Path.Combine(MeanScale, name + ".npy"));

    /// <summary>The Gaussian conditional's tables (<c>gc_*</c>) or the entropy bottleneck's (<c>eb_*</c>).</summary>
    public static QuantizedCdfTable Tables(string prefix)
    {
        var cdf = Load(prefix + "_quantized_cdf");
        return QuantizedCdfTable.Create(cdf.AsInt(), cdf.Shape[1], Load(prefix + "_cdf_length").AsInt(), Load(prefix + "_offset").AsInt());
    }

    /// <summary>The table index of each element of an NCHW tensor whose channel c uses table c (the factorised prior).</summary>
    public static int[] ChannelIndexes(int[] shape)
    {
        int channels = shape[1];
        int plane = shape[2] * shape[3];
        var indexes = new int[shape[0] * channels * plane];
        for (int i = 0; i < indexes.Length; i++) indexes[i] = i / plane % channels;
        return indexes;
    }
}
