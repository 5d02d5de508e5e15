using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using static Gateway.Bench.Load.SessionEvents;

namespace Gateway.Bench.Load;

/// <summary>
/// Drives the workload of <see cref="SessionPlan"/> through the HTTP API with a fixed number of sessions in
/// flight: a session's events one per request (<c>POST /events</c>) with <paramref name="batch"/> 1, else in
/// <c>POST /events/batch</c> requests of up to <paramref name="batch"/> events. Each request's latency (send to
/// last response byte) goes into one histogram; failures are counted by status code (or exception type), an event
/// a batch refused as <c>event:&lt;status&gt;</c>.
/// </summary>
public sealed class HttpLoadGenerator(HttpClient http, string runTag, int batch = 1) : LoadGenerator<HttpClient>
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    // (one pooled client: a worker holds nothing of its own)
    protected override HttpClient StartWorker(int number) => http;

    protected override async Task RunSessionAsync(SessionPlan plan, HttpClient worker, CancellationToken cancellationToken)
    {
        var spawn = Body($$"""{"requesterSessionKey":"{{runTag}}-{{plan.Ticket}}","childSessionKey":"{{runTag}}-{{plan.Child}}","task":"answer the ticket","spawnMode":"session"}""");
        var location = await SendAsync("/v1/runs", spawn, HttpStatusCode.Created, cancellationToken);
        if (location is null) return;
        var events = Of(plan);
        for (var from = 0; from < events.Length; from += batch)
        {
            var sent = batch == 1
                ? await SendAsync(location + "/events", events[from], HttpStatusCode.Accepted, cancellationToken)
                : await SendAsync(location + "/events/batch", Batch(events.AsSpan(from, Math.Min(batch, events.Length - from))),
                    HttpStatusCode.OK, cancellationToken);
            if (sent is null) return;
        }
        if (plan.Ending == SessionEnding.Aborted) await SendAsync(location + "/abort", [], HttpStatusCode.OK, cancellationToken);
    }

    private static byte[] Batch(ReadOnlySpan<byte[]> events)
    {
        var body = new List<byte>(32 + events.Length * 64);
        body.AddRange("{\"events\":["u8);
        for (var i = 0; i < events.Length; i++)
        {
            if (i > 0) body.Add((byte)',');
            body.AddRange(events[i]);
        }
        body.AddRange("]}"u8);
        return [.. body];
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
            if (expected == HttpStatusCode.OK && RefusedEvent(await response.Content.ReadAsByteArrayAsync(cancellationToken)) is { } refused)
            {
                Fail($"event:{refused}");
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

    /// <summary>The status of the first event a batch's answer (<c>{"results":[{"status":…},…]}</c>) did not accept, if any;
    /// null for any other answer.</summary>
    private static int? RefusedEvent(byte[] answer)
    {
        var json = new Utf8JsonReader(answer);
        while (json.Read())
        {
            if (json.TokenType == JsonTokenType.PropertyName && json.CurrentDepth == 3 && json.ValueTextEquals("status"u8)
                && json.Read() && json.GetInt32() is var status and not 202) return status;
        }
        return null;
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
