using System.Reflection;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Where the projects the tests run as processes were built, as ResourceProjects.targets recorded it in this
/// assembly (metadata "Gateway.ProjectOutput:&lt;assembly name&gt;"), so each starts as <c>dotnet &lt;its dll&gt;</c>.
/// </summary>
public static class ProjectOutputs
{
    private const string MetadataPrefix = "Gateway.ProjectOutput:";

    private static readonly Dictionary<string, string> DllByAssemblyName = typeof(ProjectOutputs).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Where(a => a.Key.StartsWith(MetadataPrefix, StringComparison.Ordinal) && a.Value is not null)
        .ToDictionary(a => a.Key[MetadataPrefix.Length..], a => a.Value!);

    public static string DllOf(string assemblyName)
    {
        if (!DllByAssemblyName.TryGetValue(assemblyName, out var dll))
        {
            throw new InvalidOperationException($"{assemblyName} is not referenced with GatewayResource=\"true\" in Gateway.Tests.csproj.");
        }
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{assemblyName} is not built at {dll}.", dll);
    }
}
