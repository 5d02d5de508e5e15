using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> against the configured keys. The caller's tenant becomes the
/// <see cref="TenantClaim"/>; every registry call is scoped to it.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<GatewayApiOptions> api,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "gateway:tenant";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        var tenant = FindTenant(header["Bearer ".Length..].Trim());
        if (tenant is null) return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        var identity = new ClaimsIdentity([new Claim(TenantClaim, tenant)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = "Send a valid API key as 'Authorization: Bearer <key>'.",
            },
        });
    }

    /// <summary>Compares SHA-256 digests (equal lengths) with FixedTimeEquals and checks every key, so the
    /// time taken says nothing about how much of a key matched, or which one.</summary>
    private string? FindTenant(string presented)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? tenant = null;
        foreach (var (keyDigest, keyTenant) in Digests.GetValue(api.CurrentValue, HashKeys))
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

public static class TenantExtensions
{
    public static string Tenant(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim)
        ?? throw new InvalidOperationException("An endpoint that needs a tenant was reached without authentication.");
}
