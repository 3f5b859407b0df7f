using System.Net;
using System.Net.Http.Headers;
using Compass.Samples.Serving;
using Xunit.Abstractions;

namespace Compass.Samples.Tests;

/// <summary>
/// The serving sample end to end (samples/Serving): its server on loopback Kestrel, its client fetching a real
/// three-layer stream for each display size, and the bytes that went over the wire.
/// </summary>
public sealed class ServingSampleTests(ServedImage served, ITestOutputHelper output) : IClassFixture<ServedImage>
{
    [SkippableFact]
    public async Task TheClientFetchesExactlyTheHeaderAndTheLayersItsSizeNeeds()
    {
        Skip.If(served.SkipReason is not null, served.SkipReason);
        var summary = served.Summary;
        Assert.True(summary.IsValid);
        var plan = summary.Header!.Plan;
        Assert.Equal(3, plan.Count); // LayerPlan.Default of 256x192: 64x48, 128x96, 256x192

        using var http = new HttpClient();
        var fetcher = new LayerFetcher(http);
        using var whole = new ScalableDecoder(served.Model!).Decode(served.Stream);
        output.WriteLine($"{ServedImage.Name}: {served.Stream.Length} bytes, header {summary.HeaderBytes} bytes, plan {plan}");
        for (int k = 1; k <= plan.Count; k++)
        {
            // The wanted size is just over layer k-2's (or 1x1): the smallest layer that covers it is layer k-1.
            var wanted = k == 1 ? new LayerSize(1, 1) : new LayerSize(plan[k - 2].Width + 1, plan[k - 2].Height);
            var prefix = await fetcher.FetchAsync(served.ImageUri, wanted.Width, wanted.Height);

            long expected = summary.Layers[k - 1].Offset + summary.Layers[k - 1].ChunkBytes; // header + chunks 0..k-1
            Assert.Equal(k, prefix.Layers);
            Assert.Equal(expected, prefix.BytesFetched);
            Assert.Equal(served.Stream.AsSpan(0, (int)expected).ToArray(), prefix.Bytes);
            if (k < plan.Count)
            {
                Assert.True(expected < served.Stream.Length);
            }
            else
            {
                Assert.Equal(served.Stream.Length, expected);
            }

            using var decoded = new ScalableDecoder(served.Model!).Decode(prefix.Bytes, new DecodeOptions { AllowTruncation = true });
            Assert.Equal(k, decoded.Layers.Count);
            Assert.Equal(plan[k - 1], decoded.Layers[^1].Size);
            // Decoding is deterministic (docs/determinism.md): the prefix gives the whole stream's layer exactly.
            Assert.Equal(whole.Layers[k - 1].Pixels.Pixels.ToArray(), decoded.Layers[^1].Pixels.Pixels.ToArray());

            string requests = string.Join("; ", prefix.Requests.Select(r => $"{r.Uri.PathAndQuery} {r.Range} -> {r.Status} {r.BodyBytes} B"));
            output.WriteLine($"want {wanted}: layers {k} ({plan[k - 1]}), fetched {prefix.BytesFetched} of {served.Stream.Length} bytes " +
                             $"({100.0 * prefix.BytesFetched / served.Stream.Length:0.0}%) in {prefix.Requests.Count} requests: {requests}");
        }
    }

    [SkippableFact]
    public async Task TheServerAnswersRangeRequestsAsHttpSays()
    {
        Skip.If(served.SkipReason is not null, served.SkipReason);
        using var http = new HttpClient();

        using var all = await http.GetAsync(served.ImageUri);
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal(served.Stream, await all.Content.ReadAsByteArrayAsync());
        Assert.Contains("bytes", all.Headers.AcceptRanges);
        var etag = all.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);

        using var range = new HttpRequestMessage(HttpMethod.Get, served.ImageUri);
        range.Headers.Range = new RangeHeaderValue(10, 19);
        using var part = await http.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(new ContentRangeHeaderValue(10, 19, served.Stream.Length), part.Content.Headers.ContentRange);
        Assert.Equal(served.Stream[10..20], await part.Content.ReadAsByteArrayAsync());

        // If-Range with a stale ETag: the whole representation, not a part of another version.
        using var stale = new HttpRequestMessage(HttpMethod.Get, served.ImageUri);
        stale.Headers.Range = new RangeHeaderValue(10, 19);
        stale.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue("\"other\""));
        using var full = await http.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);

        using var notModified = new HttpRequestMessage(HttpMethod.Get, served.ImageUri);
        notModified.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(notModified)).StatusCode);

        using var beyond = new HttpRequestMessage(HttpMethod.Get, served.ImageUri);
        beyond.Headers.Range = new RangeHeaderValue(served.Stream.Length, null);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await http.SendAsync(beyond)).StatusCode);
    }

    [SkippableFact]
    public async Task ALayerPrefixIsItsOwnRepresentation()
    {
        Skip.If(served.SkipReason is not null, served.SkipReason);
        using var http = new HttpClient();
        var ends = served.Summary.Layers.Select(l => l.Offset + l.ChunkBytes).ToArray();

        using var one = await http.GetAsync(new Uri(served.ImageUri + "?layers=1"));
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(served.Stream[..(int)ends[0]], await one.Content.ReadAsByteArrayAsync());
        Assert.Equal(string.Join(',', ends), one.Headers.GetValues(ImageServer.LayerEndsHeader).Single());
        using var whole = await http.GetAsync(served.ImageUri);
        Assert.NotEqual(whole.Headers.ETag, one.Headers.ETag); // caches must not mix a prefix with the file

        using var range = new HttpRequestMessage(HttpMethod.Get, served.ImageUri + "?layers=2");
        range.Headers.Range = new RangeHeaderValue(ends[0], null);
        using var rest = await http.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(new ContentRangeHeaderValue(ends[0], ends[1] - 1, ends[1]), rest.Content.Headers.ContentRange);
    }

    [SkippableTheory]
    [InlineData("/images/kodim23.cmps?layers=0", HttpStatusCode.BadRequest)]
    [InlineData("/images/kodim23.cmps?layers=4", HttpStatusCode.BadRequest)]
    [InlineData("/images/kodim23.cmps?layers=two", HttpStatusCode.BadRequest)]
    [InlineData("/images/missing.cmps", HttpStatusCode.NotFound)]
    [InlineData("/images/..%2Fkodim23.cmps", HttpStatusCode.NotFound)]
    [InlineData("/images/kodim23.png", HttpStatusCode.NotFound)]
    [InlineData("/images/broken.cmps", HttpStatusCode.InternalServerError)]
    public async Task BadRequestsGetAnErrorStatusAndAReason(string path, HttpStatusCode status)
    {
        Skip.If(served.SkipReason is not null, served.SkipReason);
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(served.BaseAddress, path));
        Assert.Equal(status, response.StatusCode);
        if (status != HttpStatusCode.BadRequest || !path.EndsWith("two", StringComparison.Ordinal))
        {
            Assert.NotEmpty(await response.Content.ReadAsStringAsync()); // a problem+json body naming the problem
        }
    }
}
