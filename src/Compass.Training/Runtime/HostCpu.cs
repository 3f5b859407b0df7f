using System.Runtime.Intrinsics.X86;

namespace Compass.Training.Runtime;

/// <summary>The host's x86-64 CPU as far as libtorch's kernels care: vendor, model, SIMD flags, and the
/// oneDNN ISA levels (<c>DNNL_MAX_CPU_ISA</c> values) it can run.</summary>
/// <param name="Vendor">CPU vendor (e.g. <c>GenuineIntel</c>, <c>AuthenticAMD</c>), or <c>unknown</c>.</param>
/// <param name="Model">Model name as the OS reports it, or <c>unknown</c>.</param>
/// <param name="Flags">The SIMD-related feature flags present (Linux <c>/proc/cpuinfo</c> names).</param>
public sealed record HostCpu(string Vendor, string Model, IReadOnlyList<string> Flags)
{
    // oneDNN's levels in increasing order with the flags each one needs on top of the previous ones
    // (oneDNN's cpu_isa_traits; AVX2_VNNI_2, the AVX10 and AMX levels need flags of newer CPUs).
    private static readonly (string Level, string[] Needs)[] Levels =
    [
        ("SSE41", ["sse4_1"]),
        ("AVX", ["avx"]),
        ("AVX2", ["avx2", "fma"]),
        ("AVX2_VNNI", ["avx_vnni"]),
        ("AVX512_CORE", ["avx512f", "avx512bw", "avx512vl", "avx512dq"]),
        ("AVX512_CORE_VNNI", ["avx512_vnni"]),
        ("AVX512_CORE_BF16", ["avx512_bf16"]),
        ("AVX10_1_512", ["avx512_fp16"]),
        ("AVX10_1_512_AMX", ["amx_tile", "amx_int8", "amx_bf16"]),
        ("AVX10_1_512_AMX_FP16", ["amx_fp16"]),
    ];

    private static readonly string[] Interesting =
        [.. Levels.SelectMany(l => l.Needs).Distinct(), "avx512cd", "avx512ifma", "avx512vbmi", "avx512_vbmi2", "avx512_bitalg", "avx512_vpopcntdq", "avx512_vp2intersect"];

    /// <summary>The host this process runs on.</summary>
    public static HostCpu Current { get; } = Detect();

    /// <summary>
    /// The oneDNN ISA levels this CPU supports, lowest first. A level is listed when its flags and those
    /// of every lower level are present (the AVX2 VNNI level is skipped, not required, by the AVX-512 ones).
    /// </summary>
    public IReadOnlyList<string> OneDnnIsaLevels
    {
        get
        {
            var have = new HashSet<string>(Flags, StringComparer.Ordinal);
            var levels = new List<string>();
            foreach (var (level, needs) in Levels)
            {
                if (!needs.All(have.Contains))
                {
                    if (level == "AVX2_VNNI") continue; // an optional branch: AVX-512 hosts may lack it
                    break;
                }
                levels.Add(level);
            }
            return levels;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Model} ({Vendor}); {string.Join(' ', Flags)}";

    private static HostCpu Detect()
    {
        const string CpuInfo = "/proc/cpuinfo";
        if (OperatingSystem.IsLinux() && File.Exists(CpuInfo))
        {
            string vendor = "unknown", model = "unknown";
            var flags = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(CpuInfo))
            {
                int colon = line.IndexOf(':');
                if (colon < 0) continue;
                var key = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (key == "vendor_id") vendor = value;
                else if (key == "model name") model = value;
                else if (key == "flags")
                {
                    flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    break; // the first processor is enough: all cores of a host share one feature set
                }
            }
            return new HostCpu(vendor, model, [.. Interesting.Where(flags.Contains)]);
        }

        // Elsewhere, what .NET itself detects (enough for the levels up to AVX-512 core).
        var found = new List<string>();
        if (Sse41.IsSupported) found.Add("sse4_1");
        if (Avx.IsSupported) found.Add("avx");
        if (Avx2.IsSupported) found.Add("avx2");
        if (Fma.IsSupported) found.Add("fma");
        if (AvxVnni.IsSupported) found.Add("avx_vnni");
        if (Avx512F.IsSupported) found.Add("avx512f");
        if (Avx512BW.IsSupported) found.Add("avx512bw");
        if (Avx512F.VL.IsSupported) found.Add("avx512vl");
        if (Avx512DQ.IsSupported) found.Add("avx512dq");
        return new HostCpu("unknown", "unknown", found);
    }
}
