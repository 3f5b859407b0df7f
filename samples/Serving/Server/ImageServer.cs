using System.Collections.Concurrent;
using System.Globalization;
using Compass.Bitstream;
using Microsoft.Net.Http.Headers;

namespace Compass.Samples.Serving;

/// <summary>
/// The serving app: <c>GET /images/{name}</c> returns a <c>.cmps</c> file of one folder with standard byte-range
/// support, and <c>GET /images/{name}?layers=k</c> returns only its first bytes up to the end of layer k (header,
/// metadata chunk if any, chunks 0..k-1): a valid, shorter Compass stream that decodes to layers 0..k-1. Both
/// carry a strong ETag and honour <c>Range</c> and <c>If-Range</c> (ASP.NET Core's range processing).
/// </summary>
public static class ImageServer
{
    /// <summary>The media type of Compass streams in responses.</summary>
    public const string ContentType = "application/x-compass";

    /// <summary>The response header that lists, for k = 1..n, where layer k ends in the file (the length of the <c>?layers=k</c> prefix).</summary>
    public const string LayerEndsHeader = "Compass-Layer-Ends";

    /// <summary>Builds the app over <paramref name="folder"/> (not started: call <c>RunAsync</c> or <c>StartAsync</c>).</summary>
    /// <param name="folder">The folder whose <c>.cmps</c> files are served (not its subfolders).</param>
    /// <param name="args">Host arguments, e.g. <c>--urls http://127.0.0.1:0</c>.</param>
    public static WebApplication Create(string folder, string[] args)
    {
        if (!Directory.Exists(folder))
        {
            throw new ArgumentException($"The folder '{folder}' does not exist.", nameof(folder));
        }
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        var layouts = new LayoutCache(Path.GetFullPath(folder));
        app.MapGet("/images/{name}", (string name, int? layers, HttpContext context) => Serve(layouts, name, layers, context));
        return app;
    }

    private static IResult Serve(LayoutCache layouts, string name, int? layers, HttpContext context)
    {
        if (layouts.Find(name) is not { } file)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"No image named '{name}'.");
        }
        StreamLayout layout;
        try
        {
            layout = layouts.Get(file);
        }
        catch (CompassFormatException ex)
        {
            return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, detail: $"'{name}' is not a valid Compass stream: {ex.Message}");
        }
        context.Response.Headers[LayerEndsHeader] = string.Join(',', layout.LayerEnds.Select(e => e.ToString(CultureInfo.InvariantCulture)));

        long length = layout.FileLength;
        string tag = layout.Tag;
        if (layers is int k)
        {
            if (k < 1 || k > layout.LayerEnds.Count)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest,
                    detail: $"layers={k}: '{name}' has {layout.LayerEnds.Count} layers, so layers is 1 to {layout.LayerEnds.Count}.");
            }
            length = layout.LayerEnds[k - 1];
            tag += $"-L{k}";
        }
        var stream = new FileStream(file.FullName, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.Asynchronous });
        // A prefix of a stream whose file changed under it would mix versions: the ETag (size and time of the file
        // inspected) changes with the file, and If-Range then makes a client start over.
        return Results.Stream(new PrefixStream(stream, length), ContentType, lastModified: layout.LastModified,
            entityTag: new EntityTagHeaderValue($"\"{tag}\""), enableRangeProcessing: true);
    }

    /// <summary>Where each layer of a file ends, remembered per file version (size and write time).</summary>
    private sealed class LayoutCache(string folder)
    {
        private readonly ConcurrentDictionary<string, StreamLayout> _layouts = new(StringComparer.Ordinal);

        // Only plain names of .cmps files directly in the folder: no paths, so no way out of it.
        public FileInfo? Find(string name)
        {
            if (name.Length == 0 || name != Path.GetFileName(name) || name.StartsWith('.') || !name.EndsWith(".cmps", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            var file = new FileInfo(Path.Combine(folder, name));
            return file.Exists ? file : null;
        }

        public StreamLayout Get(FileInfo file)
        {
            string tag = string.Create(CultureInfo.InvariantCulture, $"{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}");
            if (_layouts.TryGetValue(file.FullName, out var known) && known.Tag == tag)
            {
                return known;
            }
            var layout = StreamLayout.Read(file, tag);
            _layouts[file.FullName] = layout;
            return layout;
        }
    }
}
