using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Hosting;

namespace Gateway.AppHost.Launcher;

/// <summary>
/// &lt;data dir&gt;/apphost.json: the running resources (state, PID, URL, log), the API URLs and the dev API key,
/// rewritten on every change. Tools and tests find the stack here; it also stops a second AppHost from
/// sharing the folder (and Redis' append-only file) with a running one.
/// </summary>
internal sealed class StateFile(string dataDirectory, ApiKey apiKey)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly Lock gate = new();
    private readonly Dictionary<string, ResourceStatus> resources = [];
    private IReadOnlyList<string> apiUrls = [];
    private string phase = "starting";

    public string Path { get; } = System.IO.Path.Combine(dataDirectory, "apphost.json");

    /// <summary>The PID of another AppHost that is running on this data folder, if any.</summary>
    public int? RunningOwner()
    {
        try
        {
            var state = JsonSerializer.Deserialize<State>(File.ReadAllText(Path), Json);
            if (state is null || state.Phase == "stopped" || state.AppHostPid == Environment.ProcessId) return null;
            using var owner = Process.GetProcessById(state.AppHostPid);
            return owner.HasExited ? null : state.AppHostPid;
        }
        catch (Exception ex) when (ex is IOException or JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    public void Update(ResourceStatus status)
    {
        lock (gate)
        {
            resources[status.Name] = status;
            Write();
        }
    }

    public void Ready(IReadOnlyList<string> urls) => SetPhase("running", urls);

    public void Stopped() => SetPhase("stopped", apiUrls);

    private void SetPhase(string next, IReadOnlyList<string> urls)
    {
        lock (gate)
        {
            phase = next;
            apiUrls = urls;
            Write();
        }
    }

    private void Write()
    {
        Directory.CreateDirectory(dataDirectory);
        var state = new State(Environment.ProcessId, phase, apiKey.Key, apiKey.Tenant, apiUrls, [.. resources.Values]);
        var temp = Path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(state, Json));
        File.Move(temp, Path, overwrite: true);
    }

    private sealed record State(int AppHostPid, string Phase, string ApiKey, string Tenant,
        IReadOnlyList<string> ApiUrls, IReadOnlyList<ResourceStatus> Resources);
}
