using System.Net;
using System.Net.Sockets;

namespace Gateway.Hosting;

internal static class FreePorts
{
    /// <summary>Ports the OS hands out as free, all held open together so none is given twice.</summary>
    public static IReadOnlyList<int> Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
