using System.Runtime.InteropServices;

namespace Gateway.AppHost.Launcher;

/// <summary>Ctrl+C, SIGTERM, SIGQUIT and SIGHUP (terminal closed) cancel <see cref="Token"/> instead of ending the process, so the launcher
/// stops its children before it exits.</summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource requested = new();
    private readonly PosixSignalRegistration[] registrations;

    public ShutdownSignals()
    {
        registrations = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT, PosixSignal.SIGHUP }
            .Select(signal => PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                requested.Cancel();
            }))];
    }

    public CancellationToken Token => requested.Token;

    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        requested.Dispose();
    }
}
