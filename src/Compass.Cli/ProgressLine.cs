using System.Globalization;

namespace Compass.Cli;

/// <summary>
/// One status line on a terminal's standard error, redrawn in place as tiles of a large layer finish
/// (<c>layer 2/3: synthesis 5/12 tiles</c>) and erased when the work ends, so the table that follows is clean. Only
/// made when standard error is a terminal and no JSON is asked for: a redirected log gets no carriage returns.
/// </summary>
internal sealed class ProgressLine(TextWriter error) : IProgress<TileProgress>, IDisposable
{
    private readonly object _gate = new();
    private int _width;

    /// <summary>A line for a run, or null where none belongs (redirected standard error, JSON output).</summary>
    public static ProgressLine? For(CliContext context, bool json) => context.ErrorIsTerminal && !json ? new ProgressLine(context.Error) : null;

    /// <summary>The text shown for one report.</summary>
    public static string Format(TileProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"layer {p.LayerIndex + 1}/{p.LayerCount}: {p.Stage.ToString().ToLowerInvariant()} {p.TilesDone}/{p.TilesTotal} tiles");

    /// <inheritdoc />
    public void Report(TileProgress value)
    {
        string text = Format(value);
        lock (_gate)
        {
            error.Write('\r' + text.PadRight(_width));
            _width = Math.Max(_width, text.Length);
            error.Flush();
        }
    }

    /// <summary>Erases the line.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_width == 0) return;
            error.Write('\r' + new string(' ', _width) + '\r');
            error.Flush();
            _width = 0;
        }
    }
}
