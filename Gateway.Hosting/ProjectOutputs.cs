using System.Reflection;

namespace Gateway.Hosting;

/// <summary>
/// Where the resource projects were built, as ResourceProjects.targets recorded it in the launcher's assembly
/// (metadata "Gateway.ProjectOutput:&lt;assembly name&gt;"), so a project starts as <c>dotnet &lt;its dll&gt;</c>.
/// </summary>
public sealed class ProjectOutputs(IReadOnlyDictionary<string, string> dllByAssemblyName)
{
    public const string Api = "Gateway.Api", Sweeper = "Gateway.Sweeper";

    private const string MetadataPrefix = "Gateway.ProjectOutput:";

    public static ProjectOutputs FromAssembly(Assembly assembly) => new(assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Where(a => a.Key.StartsWith(MetadataPrefix, StringComparison.Ordinal) && a.Value is not null)
        .ToDictionary(a => a.Key[MetadataPrefix.Length..], a => a.Value!));

    public string DllOf(string assemblyName)
    {
        if (!dllByAssemblyName.TryGetValue(assemblyName, out var dll))
        {
            throw new InvalidOperationException(
                $"{assemblyName} is not a resource of this launcher: reference its project with GatewayResource=\"true\" " +
                "and import Gateway.Hosting/ResourceProjects.targets.");
        }
        return File.Exists(dll) ? dll
            : throw new FileNotFoundException($"{assemblyName} is not built at {dll}: run `dotnet build Gateway.AppHost`.", dll);
    }
}
