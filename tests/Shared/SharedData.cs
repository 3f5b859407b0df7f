namespace Compass.Testing;

/// <summary>
/// Locates the read-only <c>shared/</c> folder (Kodak, training images, official fixtures) that sits
/// beside the repository (<c>../shared</c>). A consumer's clone has none; tests that need it call
/// <see cref="Require"/> inside a <c>[SkippableFact]</c> and are skipped with a clear reason.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    /// <summary>The shared folder, or null when it is absent.</summary>
    public static string? RootOrNull => Root.Value;

    /// <summary>Path of the official fixtures (<c>shared/fixtures/official</c>).</summary>
    public static string Official => Path.Combine(Require(), "fixtures", "official");

    /// <summary>Path of the Kodak test set.</summary>
    public static string Kodak => Path.Combine(Require(), "data", "kodak");

    /// <summary>Path of the training images.</summary>
    public static string Train => Path.Combine(Require(), "data", "train");

    /// <summary>Returns the shared folder or skips the calling test with the reason.</summary>
    public static string Require()
    {
        Skip.If(Root.Value is null,
            "../shared (official fixtures, Kodak) is absent: set COMPASS_SHARED or place it beside the repository to run this test.");
        return Root.Value!;
    }

    private static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("COMPASS_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        // Walk up from the test assembly to the repository root (the folder holding Compass.sln), then ../shared.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compass.sln")))
            {
                var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(Path.Combine(shared, "fixtures")) ? shared : null;
            }
        }
        return null;
    }
}
