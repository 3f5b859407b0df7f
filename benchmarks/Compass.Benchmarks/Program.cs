using BenchmarkDotNet.Running;

namespace Compass.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project benchmarks/Compass.Benchmarks -- --filter *</c>.</summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected on the command line.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
