using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Api.Auth;

/// <summary>The tenant of an API key of Gateway:ApiKeys: HTTP's bearer header and the WebSocket's connect token
/// are the same keys, checked the same way.</summary>
public static class ApiKeys
{
    /// <summary>Compares SHA-256 digests (equal lengths) with FixedTimeEquals and checks every key, so the
    /// time taken says nothing about how much of a key matched, or which one.</summary>
    public static string? FindTenant(GatewayApiOptions options, string presented)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? tenant = null;
        foreach (var (keyDigest, keyTenant) in Digests.GetValue(options, HashKeys))
        {
            if (CryptographicOperations.FixedTimeEquals(digest, keyDigest)) tenant ??= keyTenant;
        }
        return tenant;
    }

    // The configured keys' digests, computed once per options instance (a configuration reload makes a new one)
    // rather than on every request.
    private static readonly ConditionalWeakTable<GatewayApiOptions, (byte[] Digest, string Tenant)[]> Digests = new();

    private static (byte[] Digest, string Tenant)[] HashKeys(GatewayApiOptions options) =>
        options.ApiKeys.Select(k => (SHA256.HashData(Encoding.UTF8.GetBytes(k.Key)), k.Tenant)).ToArray();
}
