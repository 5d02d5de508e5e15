using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Tests.Faults;

/// <summary>An operation the API acknowledged (2xx): a spawn (seq 0), an event (its seq) or an abort, and when.</summary>
public sealed record Ack(string RunId, string Kind, long Seq, TimeSpan At);

/// <summary>
/// Clients driving the seed's workload through the API (the shape of Gateway.Bench's SessionPlan: each session
/// spawns a session-mode run, starts it, sends three agent events, then out of every 20: 15 end, 2 end with an
/// error and no end, 2 never end, 1 is aborted; every fifth adds a tool-event recipient). Every 2xx is recorded
/// as an <see cref="Ack"/>; a 503 must carry Retry-After and is retried after it, as a client honouring the
/// contract does; anything else is recorded as unexpected.
/// </summary>
public sealed class SeedClients(HttpClient api, string tag, int requesterSessions, int neverEndTimeoutSeconds = 0)
{
    public const int AgentEvents = 3;

    // An outage longer than this many Retry-Afters is a failure of the test's fault, not a wait.
    private const int MaxRetries = 120;

    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Ack> acks = new();
    private readonly ConcurrentQueue<string> unexpected = new();
    private long next = -1;
    private long unavailable;
    private long replayed;
    private long timedOut;

    public IReadOnlyList<Ack> Acks => [.. acks];

    /// <summary>Answers that break the contract (neither 2xx, nor 503 with Retry-After, nor the 409 of a retried
    /// request that had been applied), with their status and body.</summary>
    public IReadOnlyList<string> Unexpected => [.. unexpected];

    /// <summary>503 answers with Retry-After (each retried).</summary>
    public long Unavailable => Interlocked.Read(ref unavailable);

    /// <summary>Retried requests whose first attempt had been applied though unacknowledged (a 409 duplicate, or
    /// a spawn answered 200 by its idempotency key).</summary>
    public long Replayed => Interlocked.Read(ref replayed);

    /// <summary>Events refused (409) because the never-ending run they were for had already reached its
    /// runTimeoutSeconds: a client too slow under load, not an error.</summary>
    public long TimedOutUnderLoad => Interlocked.Read(ref timedOut);

    public long SessionsStarted => Interlocked.Read(ref next) + 1;

    /// <summary>The time on this client's clock, the one <see cref="Ack.At"/> is measured on.</summary>
    public TimeSpan Now => clock.Elapsed;

    public string RequesterOf(long session) => $"{tag}-req-{session % requesterSessions}";

    public static string IdempotencyKeyOf(string tag, long session) => $"{tag}-{session}";

    /// <summary>Runs whole sessions with <paramref name="concurrency"/> in flight until <paramref name="stop"/> is
    /// cancelled; a session under way when it is finishes (so every run gets the lifecycle its plan says).</summary>
    public async Task RunAsync(int concurrency, CancellationToken stop)
    {
        async Task Worker()
        {
            while (!stop.IsCancellationRequested) await RunSessionAsync(Interlocked.Increment(ref next));
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker, CancellationToken.None)));
    }

    /// <summary>Session i's ending, out of every 20 as in the seed's workload.</summary>
    public static Ending EndingOf(long session) => (session % 20) switch
    {
        0 or 7 => Ending.Error,
        3 or 12 => Ending.Never,
        16 => Ending.Aborted,
        _ => Ending.Completed,
    };

    private async Task RunSessionAsync(long i)
    {
        var ending = EndingOf(i);
        var timeout = ending == Ending.Never ? neverEndTimeoutSeconds : 0;
        var spawn = await SendAsync(HttpMethod.Post, "/v1/runs", new
        {
            requesterSessionKey = RequesterOf(i),
            task = $"seed session {i}",
            spawnMode = "session",
            runTimeoutSeconds = timeout,
            idempotencyKey = IdempotencyKeyOf(tag, i),
        }, "spawn", null, 0);
        var runId = spawn!.Value.GetProperty("runId").GetString()!;
        var events = $"/v1/runs/{runId}/events";
        var mayTimeOut = timeout > 0;
        await SendAsync(HttpMethod.Post, events, new { seq = 1, stream = "lifecycle", phase = "start" }, "start", runId, 1, mayTimeOut);
        if (i % 5 == 0) await SendAsync(HttpMethod.Post, $"/v1/runs/{runId}/recipients", new { add = new[] { "conn-1" } }, "recipients", runId, 0);
        for (var seq = 2; seq < 2 + AgentEvents; seq++)
        {
            await SendAsync(HttpMethod.Post, events, new { seq, stream = "assistant", data = new { text = $"partial answer {seq}" } }, "assistant", runId, seq, mayTimeOut);
        }
        const int last = 2 + AgentEvents;
        _ = ending switch
        {
            Ending.Completed => await SendAsync(HttpMethod.Post, events, new { seq = last, stream = "lifecycle", phase = "end" }, "end", runId, last),
            Ending.Error => await SendAsync(HttpMethod.Post, events, new { seq = last, stream = "lifecycle", phase = "error", error = "model overloaded" }, "error", runId, last),
            Ending.Aborted => await SendAsync(HttpMethod.Post, $"/v1/runs/{runId}/abort", new { }, "abort", runId, 0),
            _ => null,
        };
    }

    /// <summary>Sends until the API acknowledges (2xx) or the request turns out to have been applied already
    /// (409 on a retry), or its run timed out first (<paramref name="mayTimeOut"/>); records the ack. Returns the
    /// 2xx body, or null for such a 409.</summary>
    private async Task<JsonElement?> SendAsync(HttpMethod method, string path, object body, string kind, string? runId, long seq, bool mayTimeOut = false)
    {
        for (var attempt = 0; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await api.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) });
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // a refused connection, or no answer within the client's timeout: a break of the contract too
                unexpected.Enqueue($"{kind} {path}: {ex.GetType().Name}: {ex.Message}");
                throw;
            }
            using (response)
            {
                if (response.IsSuccessStatusCode)
                {
                    var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
                    var id = runId ?? answer.GetProperty("runId").GetString()!;
                    if (attempt > 0 && response.StatusCode == HttpStatusCode.OK && kind == "spawn") Interlocked.Increment(ref replayed);
                    acks.Enqueue(new Ack(id, kind, seq, clock.Elapsed));
                    return answer;
                }
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter?.Delta is { } retryAfter && attempt < MaxRetries)
                {
                    Interlocked.Increment(ref unavailable);
                    await Task.Delay(retryAfter);
                    continue;
                }
                if (response.StatusCode == HttpStatusCode.Conflict && attempt > 0)
                {
                    Interlocked.Increment(ref replayed);
                    return null;
                }
                var problem = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.Conflict && mayTimeOut && problem.Contains("has already finished (status timeout)", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref timedOut);
                    return null;
                }
                unexpected.Enqueue($"{kind} {path}: {(int)response.StatusCode} {problem}");
                throw new InvalidOperationException($"{kind} {path} answered {(int)response.StatusCode}.");
            }
        }
    }

    public enum Ending { Completed, Error, Never, Aborted }
}
