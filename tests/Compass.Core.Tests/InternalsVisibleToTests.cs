using System.Text.RegularExpressions;

namespace Compass.Core.Tests;

/// <summary>
/// Only test projects see internals: every <c>InternalsVisibleTo</c> in the repository's projects (MSBuild items
/// and assembly attributes) names an assembly ending in <c>.Tests</c> that exists under <c>tests/</c>. Benchmarks,
/// CLIs, samples and other libraries use the public (or <c>[Experimental]</c>) API like any other caller.
/// </summary>
public sealed partial class InternalsVisibleToTests
{
    [Fact]
    public void OnlyTestProjectsAreGrantedInternals()
    {
        string root = RepositoryRoot();
        var testProjects = Directory.EnumerateFiles(Path.Combine(root, "tests"), "*.csproj", SearchOption.AllDirectories)
            .Select(Path.GetFileNameWithoutExtension)
            .ToHashSet(StringComparer.Ordinal);
        var grants = Grants(root).ToList();

        // The scan itself must see the grants that exist, or it would pass on an empty list.
        Assert.Contains(grants, g => g.Assembly == "Compass.Core.Tests" && g.File.EndsWith("Compass.Core.csproj", StringComparison.Ordinal));
        var wrong = grants
            .Where(g => !g.Assembly.EndsWith(".Tests", StringComparison.Ordinal) || !testProjects.Contains(g.Assembly))
            .Select(g => $"{g.File}: InternalsVisibleTo {g.Assembly}")
            .ToList();
        Assert.True(wrong.Count == 0,
            "Only test projects (tests/*.Tests) may see internals; give other callers a public or [Experimental] API:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void TheScanFindsBothFormsOfGrant()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(Path.Combine(dir.Path, "src", "A"));
        File.WriteAllText(Path.Combine(dir.Path, "src", "A", "A.csproj"),
            "<Project><ItemGroup><InternalsVisibleTo Include=\"Compass.Benchmarks\" /></ItemGroup></Project>");
        File.WriteAllText(Path.Combine(dir.Path, "src", "A", "AssemblyInfo.cs"),
            "[assembly: System.Runtime.CompilerServices.InternalsVisibleTo( \"Some.Tool, PublicKey=00\" )]");
        Directory.CreateDirectory(Path.Combine(dir.Path, "src", "A", "obj"));
        File.WriteAllText(Path.Combine(dir.Path, "src", "A", "obj", "A.AssemblyInfo.cs"),
            "[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"Generated.From.The.Csproj\")]");

        var found = Grants(dir.Path).Select(g => g.Assembly).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["Compass.Benchmarks", "Some.Tool"], found); // build outputs (obj, bin) are not sources
    }

    private static IEnumerable<(string File, string Assembly)> Grants(string root)
    {
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Any(p => p is "bin" or "obj" or ".git" or "tests" or "gpu-kit" or "gpu-ort-kit")) continue;
            var regex = Path.GetExtension(file) switch
            {
                ".csproj" or ".props" or ".targets" => ItemGrant(),
                ".cs" => AttributeGrant(),
                _ => null,
            };
            if (regex is null) continue;
            foreach (Match m in regex.Matches(File.ReadAllText(file)))
                yield return (relative, m.Groups[1].Value.Split(',')[0].Trim());
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Compass.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (the folder of Compass.sln) is not above the test assembly.");
    }

    [GeneratedRegex("""<InternalsVisibleTo\s+Include\s*=\s*"([^"]+)"[^>]*>""")]
    private static partial Regex ItemGrant();

    [GeneratedRegex("""\[\s*assembly\s*:\s*(?:System\.Runtime\.CompilerServices\.)?InternalsVisibleTo(?:Attribute)?\s*\(\s*"([^"]+)""")]
    private static partial Regex AttributeGrant();

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("compass-ivt-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
