using System.CommandLine;

namespace Compass.Cli;

/// <summary>"Did you mean" for mistyped commands and options: the closest names by edit distance.</summary>
internal static class Suggestions
{
    /// <summary>
    /// The message for the first token the parser did not recognise, with the nearest command or option of the command
    /// it was given to; null when every token was recognised (another error is to be reported).
    /// </summary>
    public static string? ForUnknownToken(ParseResult parse)
    {
        string? token = parse.UnmatchedTokens.Count > 0 ? parse.UnmatchedTokens[0] : OptionTakenAsArgument(parse);
        if (token is null) return null;
        var command = parse.CommandResult.Command;
        bool option = token.StartsWith('-');
        IEnumerable<string> names = option
            ? command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Concat(RecursiveOptions(parse))
            : command.Subcommands.Select(c => c.Name);
        string kind = option ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";
        var best = Nearest(token, names);
        return best is null ? $"unknown {kind} '{token}'" : $"unknown {kind} '{token}'; did you mean '{best}'?";
    }

    // The parser hands an unknown "--name" to an argument that takes several values (encode's images): no file name
    // a user types starts with a dash, so such a token is a mistyped option. "-" alone is standard input.
    private static string? OptionTakenAsArgument(ParseResult parse) => parse.CommandResult.Children
        .OfType<System.CommandLine.Parsing.ArgumentResult>()
        .SelectMany(a => a.Tokens)
        .Select(t => t.Value)
        .FirstOrDefault(v => v.Length > 1 && v[0] == '-' && !char.IsDigit(v[1]));

    /// <summary>The candidate closest to <paramref name="typed"/>, if close enough to be a typo (at most a third of its letters off).</summary>
    public static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates.Distinct())
        {
            int distance = candidate.StartsWith(typed, StringComparison.Ordinal) && typed.TrimStart('-').Length >= 2
                ? 1 // a prefix ("enc") is as good as one typo
                : Distance(typed, candidate);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }
        return bestDistance <= Math.Max(1, typed.TrimStart('-').Length / 3) ? best : null;
    }

    private static IEnumerable<string> RecursiveOptions(ParseResult parse)
    {
        for (var result = parse.CommandResult.Parent; result is System.CommandLine.Parsing.CommandResult parent; result = parent.Parent)
            foreach (var o in parent.Command.Options.Where(o => o.Recursive))
                foreach (string name in o.Aliases.Prepend(o.Name)) yield return name;
    }

    // Levenshtein distance with transpositions counted as one edit (optimal string alignment).
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
