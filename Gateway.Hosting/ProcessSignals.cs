using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gateway.Hosting;

/// <summary>Asks a process to stop (SIGTERM), which .NET has no API for; on Windows there is only Kill.</summary>
internal static class ProcessSignals
{
    private const int SIGTERM = 15;

    public static void Terminate(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            process.Kill(entireProcessTree: true);
            return;
        }
        _ = kill(process.Id, SIGTERM);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
