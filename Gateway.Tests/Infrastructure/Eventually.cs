using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The one way a test waits: for a condition, polled, never for a guessed time. A condition that does not
/// hold within the timeout fails the test with what was awaited.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(20);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > (timeout ?? DefaultTimeout)) Assert.Fail($"Not within {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s: {what}");
            await Task.Delay(poll ?? DefaultPoll);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout, poll);

    /// <summary>Reads until the value satisfies <paramref name="done"/>, and returns that value.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        var value = await read();
        await TrueAsync(async () => done(value) || done(value = await read()), what, timeout, poll);
        return value;
    }

    /// <summary>Polls <paramref name="read"/> until it gives an empty list or the timeout passes; returns the last reading
    /// (for a failure message that names what is left).</summary>
    public static async Task<IReadOnlyList<T>> EmptyAsync<T>(Func<IReadOnlyList<T>> read, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        var reading = read();
        while (reading.Count > 0 && waited.Elapsed < timeout)
        {
            await Task.Delay(DefaultPoll);
            reading = read();
        }
        return reading;
    }
}
