using Compass.Testing;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Compass.Training.Tests.Codec;

/// <summary>Helpers to compare TorchSharp tensors with the official .npy fixtures.</summary>
internal static class Fixtures
{
    /// <summary>Path of a file in the official fixtures (skips the test when ../shared is absent).</summary>
    public static string Path(string relative) => System.IO.Path.Combine(SharedData.Official, relative);

    /// <summary>A float32 tensor with the fixture's shape and values.</summary>
    public static Tensor LoadFloat(string relative)
    {
        var a = Npy.Load(Path(relative));
        return tensor(a.AsFloat(), a.Shape.Select(s => (long)s).ToArray());
    }

    /// <summary>Max |actual - expected| after checking the shapes agree.</summary>
    public static double MaxAbsDiff(Tensor actual, NpyArray expected)
    {
        Assert.Equal(expected.Shape.Select(s => (long)s).ToArray(), actual.shape);
        using var f = actual.to_type(ScalarType.Float64).contiguous();
        var values = f.data<double>().ToArray();
        double max = 0;
        for (int i = 0; i < values.Length; i++) max = Math.Max(max, Math.Abs(values[i] - expected.Data[i]));
        return max;
    }

    /// <summary>Asserts a float output matches the fixture within <paramref name="tolerance"/> and logs the error.</summary>
    public static double AssertClose(ITestOutputHelper log, string relative, Tensor actual, double tolerance = 1e-5)
    {
        double err = MaxAbsDiff(actual, Npy.Load(Path(relative)));
        log.WriteLine($"{relative,-40} max abs err {err:E2}");
        Assert.True(err <= tolerance, $"{relative}: max abs error {err:E3} > {tolerance:E1}");
        return err;
    }

    /// <summary>Asserts an integer output equals the fixture exactly.</summary>
    public static void AssertExact(ITestOutputHelper log, string relative, Tensor actual)
    {
        var expected = Npy.Load(Path(relative));
        Assert.Equal(expected.Shape.Select(s => (long)s).ToArray(), actual.shape);
        using var l = actual.to_type(ScalarType.Int64).contiguous();
        var values = l.data<long>().ToArray();
        int mismatches = values.Where((v, i) => v != expected.AsLong()[i]).Count();
        log.WriteLine($"{relative,-40} mismatches {mismatches} of {values.Length}");
        Assert.Equal(0, mismatches);
    }
}
