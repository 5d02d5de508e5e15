using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using static Gateway.Bench.Load.SessionEvents;

namespace Gateway.Bench.Load;

/// <summary>
/// Drives the workload of <see cref="SessionPlan"/> through the HTTP API with a fixed number of sessions in
/// flight. Each request's latency (send to last response byte) goes into one histogram; failures are counted
/// by status code (or exception type).
/// </summary>
public sealed class HttpLoadGenerator(HttpClient http, string runTag) : LoadGenerator<HttpClient>
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    // (one pooled client: a worker holds nothing of its own)
    protected override HttpClient StartWorker(int number) => http;

    protected override async Task RunSessionAsync(SessionPlan plan, HttpClient worker, CancellationToken cancellationToken)
    {
        var spawn = Body($$"""{"requesterSessionKey":"{{runTag}}-{{plan.Ticket}}","childSessionKey":"{{runTag}}-{{plan.Child}}","task":"answer the ticket","spawnMode":"session"}""");
        var location = await SendAsync("/v1/runs", spawn, HttpStatusCode.Created, cancellationToken);
        if (location is null) return;
        var events = location + "/events";
        if (await SendAsync(events, Start, HttpStatusCode.Accepted, cancellationToken) is null) return;
        foreach (var agentEvent in AgentEvents)
        {
            if (await SendAsync(events, agentEvent, HttpStatusCode.Accepted, cancellationToken) is null) return;
        }
        _ = plan.Ending switch
        {
            SessionEnding.Completed => await SendAsync(events, End, HttpStatusCode.Accepted, cancellationToken),
            SessionEnding.Error => await SendAsync(events, ErrorEnd, HttpStatusCode.Accepted, cancellationToken),
            SessionEnding.Aborted => await SendAsync(location + "/abort", [], HttpStatusCode.OK, cancellationToken),
            _ => location,
        };
    }

    /// <summary>POSTs a JSON body; returns the run's path (from Location, else the request path) or null on failure.</summary>
    private async Task<string?> SendAsync(string path, byte[] body, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            Latencies.Record(Stopwatch.GetElapsedTime(started));
            if (response.StatusCode != expected)
            {
                Fail(((int)response.StatusCode).ToString());
                return null;
            }
            return response.Headers.Location?.OriginalString ?? path;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Fail(ex.GetType().Name);
            return null;
        }
    }

    /// <summary>One pooled HTTP/1.1 client for the load: a connection per session in flight, kept open.</summary>
    public static HttpClient CreateClient(Uri baseAddress, string apiKey, int concurrency)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return http;
    }
}
