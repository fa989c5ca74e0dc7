using Cordon.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cordon.Monitoring;

public sealed record HealthCheckReport(string Status, string Description);

public sealed record HealthReportBody(string Status, string ConfigurationVersion, DateTimeOffset ConfigurationLoadedAt, IReadOnlyDictionary<string, HealthCheckReport> Checks);

/// <summary>
/// GET /api/health, anonymous (the platform's health check calls it): configuration loaded and valid (with its
/// version), storage, directory token, mail. 200 when every check is healthy, 503 otherwise; never a secret.
/// </summary>
public sealed class HealthApi(HealthCheckService checks, LiveConfiguration configuration)
{
    /// <summary>The HTTP route (under /api), declared once for the Functions host and the local host.</summary>
    public const string Route = "health";

    [Function("Health")]
    public async Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request)
    {
        HealthReport report = await checks.CheckHealthAsync(request.HttpContext.RequestAborted);
        ConfigurationSnapshot snapshot = configuration.Current;
        var body = new HealthReportBody(Name(report.Status), snapshot.Version, snapshot.LoadedAt,
            report.Entries.ToDictionary(e => e.Key, e => new HealthCheckReport(Name(e.Value.Status), e.Value.Description ?? "")));
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        return new ObjectResult(body) { StatusCode = report.Status == HealthStatus.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable };
    }

    static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    /// <summary>A failed probe's reason, one line, without the response dump some SDK exceptions carry.</summary>
    public static string Reason(Exception ex) => $"{ex.GetType().Name}: {ex.Message.Split('\n')[0].Trim()}";
}
