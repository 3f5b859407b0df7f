namespace Compass.Cli;

/// <summary>
/// Expands the input arguments of a command: files as given, <c>-</c> for standard input, and patterns with <c>*</c> or
/// <c>?</c> in the file name (for shells that do not expand them, and for quoted patterns), sorted by name.
/// </summary>
internal static class InputFiles
{
    /// <summary>The argument that means standard input or standard output.</summary>
    public const string Standard = "-";

    /// <summary>True when an argument is a pattern rather than a file name.</summary>
    public static bool IsPattern(string argument) => Path.GetFileName(argument).AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>The files the arguments name, in order, each once.</summary>
    /// <exception cref="CliException">A pattern matches no file, or its folder does not exist.</exception>
    public static IReadOnlyList<string> Expand(IEnumerable<string> arguments)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string argument in arguments)
        {
            if (!IsPattern(argument))
            {
                if (seen.Add(argument)) files.Add(argument);
                continue;
            }
            string folder = Path.GetDirectoryName(argument) is { Length: > 0 } d ? d : ".";
            if (!Directory.Exists(folder)) throw new CliException($"{argument}: the folder {folder} does not exist");
            var matches = Directory.EnumerateFiles(folder, Path.GetFileName(argument))
                .Select(f => folder == "." && !argument.StartsWith('.') ? Path.GetFileName(f) : f)
                .Order(StringComparer.Ordinal).ToList();
            if (matches.Count == 0) throw new CliException($"{argument}: no file matches");
            foreach (string match in matches)
                if (seen.Add(match)) files.Add(match);
        }
        return files;
    }

    /// <summary>Reads standard input to its end (image decoders need to seek).</summary>
    public static MemoryStream ReadAll(Stream input)
    {
        var memory = new MemoryStream();
        input.CopyTo(memory);
        memory.Position = 0;
        return memory;
    }
}
