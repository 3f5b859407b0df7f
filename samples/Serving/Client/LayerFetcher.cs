using System.Net;
using System.Net.Http.Headers;
using Compass.Bitstream;

namespace Compass.Samples.Serving;

/// <summary>
/// Downloads from a Compass image server (samples/Serving/Server) only the bytes a display size needs: the header
/// through a small <c>Range</c> request (grown once when the header is longer), then, from the header's layer sizes,
/// the smallest layer count k whose last layer covers the wanted size, then the rest of the <c>?layers=k</c> prefix
/// (again a <c>Range</c> request, so no byte is fetched twice).
/// </summary>
/// <param name="http">The client to send the requests with.</param>
public sealed class LayerFetcher(HttpClient http)
{
    /// <summary>Bytes asked for first: the 41 fixed header bytes and room for a 1-layer header (a longer one takes one more request).</summary>
    public const int FirstRequestBytes = 64;

    /// <summary>Fetches the prefix of <paramref name="image"/> that holds the smallest layer at least <paramref name="width"/> x <paramref name="height"/> (or every layer, when none is that large).</summary>
    /// <param name="image">The image's URL, e.g. <c>http://127.0.0.1:5080/images/photo.cmps</c>.</param>
    /// <param name="width">The wanted display width, in pixels.</param>
    /// <param name="height">The wanted display height, in pixels.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The header, the layer count chosen, the prefix and each request made.</returns>
    /// <exception cref="HttpRequestException">The server answered with an error status.</exception>
    /// <exception cref="CompassFormatException">The bytes are not a Compass stream.</exception>
    public async Task<FetchedPrefix> FetchAsync(Uri image, int width, int height, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var requests = new List<FetchRequest>();
        var data = new MemoryStream();

        // 1. The header: a small range, then exactly what TryRead says is missing.
        BitstreamHeader? header;
        int needed = FirstRequestBytes;
        DateTimeOffset? version = null;
        while (true)
        {
            var part = await GetAsync(image, data.Length, needed - 1, version, requests, cancellationToken).ConfigureAwait(false);
            version ??= part.LastModified;
            Append(data, part);
            if (BitstreamHeader.TryRead(data.GetBuffer().AsSpan(0, (int)data.Length), out header, out needed))
            {
                break;
            }
        }

        // 2. The smallest layer that covers the wanted size (the plan's layers grow, so the first one found).
        var plan = header.Plan;
        int layers = Enumerable.Range(0, plan.Count).FirstOrDefault(i => plan[i].Width >= width && plan[i].Height >= height, plan.Count - 1) + 1;

        // 3. The rest of the prefix ending with that layer.
        var prefixUri = new UriBuilder(image) { Query = $"layers={layers}" }.Uri;
        var rest = await GetAsync(prefixUri, data.Length, null, version, requests, cancellationToken).ConfigureAwait(false);
        Append(data, rest);
        return new FetchedPrefix(header, layers, data.ToArray(), requests);
    }

    // A 200 (the server ignored the range, or the file changed since the first response: If-Range) replaces what came before.
    private static void Append(MemoryStream data, Part part)
    {
        if (!part.IsPartial)
        {
            data.SetLength(0);
        }
        data.Write(part.Body);
    }

    private async Task<Part> GetAsync(Uri uri, long from, long? to, DateTimeOffset? version, List<FetchRequest> requests, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Range = new RangeHeaderValue(from, to);
        if (version is { } v)
        {
            request.Headers.IfRange = new RangeConditionHeaderValue(v);
        }
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // Everything from `from` on is already here (the prefix is no longer than what the header request fetched).
            requests.Add(new FetchRequest(uri, request.Headers.Range.ToString(), (int)response.StatusCode, 0));
            return new Part(true, [], response.Content.Headers.LastModified);
        }
        response.EnsureSuccessStatusCode();
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        requests.Add(new FetchRequest(uri, request.Headers.Range.ToString(), (int)response.StatusCode, body.Length));
        bool partial = response.StatusCode == HttpStatusCode.PartialContent;
        if (partial && response.Content.Headers.ContentRange?.From != from)
        {
            throw new HttpRequestException($"{uri}: asked for bytes from {from}, got {response.Content.Headers.ContentRange}.");
        }
        return new Part(partial, body, response.Content.Headers.LastModified);
    }

    private sealed record Part(bool IsPartial, byte[] Body, DateTimeOffset? LastModified);
}

/// <summary>What <see cref="LayerFetcher.FetchAsync"/> downloaded.</summary>
/// <param name="Header">The stream's header.</param>
/// <param name="Layers">The layer count chosen: the prefix holds layers 0..Layers-1.</param>
/// <param name="Bytes">The prefix: a valid Compass stream, truncated after layer Layers-1 when that is not the last.</param>
/// <param name="Requests">Each request made, in order.</param>
public sealed record FetchedPrefix(BitstreamHeader Header, int Layers, byte[] Bytes, IReadOnlyList<FetchRequest> Requests)
{
    /// <summary>Response body bytes over all requests (what went over the wire, headers aside).</summary>
    public long BytesFetched => Requests.Sum(r => (long)r.BodyBytes);
}

/// <summary>One HTTP request of a fetch.</summary>
/// <param name="Uri">Its URL.</param>
/// <param name="Range">Its <c>Range</c> header.</param>
/// <param name="Status">The response status code.</param>
/// <param name="BodyBytes">Bytes of the response body.</param>
public sealed record FetchRequest(Uri Uri, string Range, int Status, int BodyBytes);
