namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// redis-server run as a process on loopback (no container runtime needed). Consumers see what they see of
/// Aspire's <c>RedisResource</c>: a connection string <c>host:port,password=…</c> under the resource's name.
/// </summary>
public sealed class RedisServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";

    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>Where the append-only file lives; null for an ephemeral server that writes nothing.</summary>
    public string? DataDirectory { get; internal set; }

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={PasswordParameter}");
}
