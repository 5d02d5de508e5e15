namespace Gateway.Hosting;

/// <summary>The <c>dotnet</c> executable that runs this process, used to run the resource projects' dlls.</summary>
public static class DotnetHost
{
    public static string Path { get; } = Locate();

    private static string Locate()
    {
        var self = Environment.ProcessPath;
        if (self is not null && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        // Started as an apphost executable (bin/Gateway.AppHost): the CLI names its host for child processes.
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}
