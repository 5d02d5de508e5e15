using System.Security.Claims;
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
        var tenant = ApiKeys.FindTenant(api.CurrentValue, header["Bearer ".Length..].Trim());
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
}

public static class TenantExtensions
{
    public static string Tenant(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim)
        ?? throw new InvalidOperationException("An endpoint that needs a tenant was reached without authentication.");
}
