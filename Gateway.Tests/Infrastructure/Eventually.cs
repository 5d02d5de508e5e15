using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>Waits for a condition instead of sleeping for a guessed time.</summary>
public static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls <paramref name="read"/> until it gives an empty list or <paramref name="timeout"/> passes; returns the last reading.</summary>
    public static async Task<IReadOnlyList<T>> WhereAsync<T>(Func<IReadOnlyList<T>> read, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        var reading = read();
        while (reading.Count > 0 && waited.Elapsed < timeout)
        {
            await Task.Delay(Poll);
            reading = read();
        }
        return reading;
    }

    /// <summary>Polls until <paramref name="condition"/> holds, or fails the test naming <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > timeout) Assert.Fail($"Not within {timeout.TotalSeconds} s: {what}");
            await Task.Delay(Poll);
        }
    }
}
