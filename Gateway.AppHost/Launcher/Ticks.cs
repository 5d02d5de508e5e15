namespace Gateway.AppHost.Launcher;

internal static class Ticks
{
    /// <summary>False once <paramref name="stop"/> is cancelled, instead of throwing.</summary>
    public static async Task<bool> NextAsync(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
