using Gateway.Hosting;
using Microsoft.Extensions.Configuration;

namespace Gateway.AppHost.Launcher;

/// <summary>Starts the stack, shows it until Ctrl+C or SIGTERM, then stops every process it started.</summary>
internal static class Launch
{
    public static async Task<int> RunAsync(LaunchSettings settings)
    {
        using var signals = new ShutdownSignals();
        var apiKey = ApiKey.Generate();
        var state = new StateFile(settings.DataDirectory, apiKey);
        IConsoleView view = settings.Plain ? new PlainView() : new LiveView(Header(settings, apiKey));

        if (state.RunningOwner() is { } owner)
        {
            view.Event($"error: another AppHost (pid {owner}) is running on {settings.DataDirectory}; stop it or pass --data-dir.");
            return 1;
        }
        var options = new StackOptions
        {
            DataDirectory = settings.DataDirectory,
            Projects = ProjectOutputs.FromAssembly(typeof(Launch).Assembly),
            ApiKey = apiKey,
            ApiReplicas = settings.ApiReplicas,
            Ephemeral = settings.Ephemeral,
            // As under Aspire: a connection string the user gives wins over the resource.
            RedisConnectionString = Environment.GetEnvironmentVariable("ConnectionStrings__redis"),
            Otlp = settings.Otlp,
        };
        var observer = new StackObserver(view.Output, status =>
        {
            state.Update(status);
            view.StateChanged(status);
        });

        view.Event($"starting {settings.ApiReplicas} gateway-api replica(s) and gateway-sweeper; data and logs in {settings.DataDirectory}" +
            (settings.Ephemeral ? " (ephemeral redis)" : ""));
        GatewayStack stack;
        try
        {
            stack = await GatewayStack.StartAsync(options, observer, signals.Token);
        }
        catch (Exception ex) when (GatewayStack.IsStartFailure(ex))
        {
            view.Event($"error: {ex.Message}");
            state.Stopped();
            return 1;
        }
        catch (OperationCanceledException) when (signals.Token.IsCancellationRequested)
        {
            view.Event("stopped while starting");
            state.Stopped();
            return 0;
        }

        using var expectExit = signals.Token.Register(stack.ExpectExit);
        state.Ready(stack.ApiUrls);
        view.Event($"ready: gateway-api at {string.Join(", ", stack.ApiUrls)}");
        view.Event($"dev API key (tenant {apiKey.Tenant}): {apiKey.Key}");
        view.Event($"try: curl -H 'Authorization: Bearer {apiKey.Key}' {stack.ApiUrls[0]}/v1/registry");

        await using (var watch = await RegistryWatch.ConnectAsync(stack.RedisConnectionString,
            new ConfigurationBuilder().AddEnvironmentVariables().Build()))
        {
            await view.ShowAsync(stack, watch, signals.Token);
        }

        view.Event($"stopping (a process still running after {options.StopTimeout.TotalSeconds:F0} s is killed)");
        await stack.StopAsync();
        state.Stopped();
        view.Event("stopped");
        return 0;
    }

    private static string Header(LaunchSettings settings, ApiKey apiKey) =>
        $"Gateway AppHost · data {settings.DataDirectory}{(settings.Ephemeral ? " (ephemeral)" : "")} · " +
        $"API key {apiKey.Key} (tenant {apiKey.Tenant}) · " +
        (settings.Otlp is null ? "no OTLP export" : $"OTLP {settings.Otlp.Endpoint}") + " · Ctrl+C stops everything";
}
