using System.Security.Cryptography;
using Cordon.Incidents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Cordon.Monitoring;

/// <summary>
/// The operators' dashboard: the incidents list and one page per incident, rendered on the server
/// from the same status the incidents API returns. Function key in Azure (/api/dashboard?code=…);
/// the local host also serves the list at /.
/// </summary>
public sealed class Dashboard(TimeProvider time)
{
    [Function("Dashboard")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dashboard")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        string? key = Key(request);
        var (filter, errors) = DashboardFilter.Parse(name => request.Query[name].FirstOrDefault());
        // One page of the list, as /api/incidents pages it (status, created-time filters, continuation; Link header).
        var (query, pageErrors) = IncidentListQuery.Parse(name => request.Query[name].FirstOrDefault());
        errors = [.. errors, .. pageErrors];
        if (errors.Count > 0)
        {
            return Html(request, StatusCodes.Status400BadRequest, DashboardPages.Refused("Filter not understood", errors, key));
        }

        IncidentPage page = await IncidentQueries.PageAsync(client, query, request.HttpContext.RequestAborted);
        IncidentQueries.LinkNext(request, query, page);
        IReadOnlyList<IncidentRow> rows = page.Rows;
        string nonce = Nonce();
        return Html(request, StatusCodes.Status200OK, DashboardPages.List(rows, filter, time.GetUtcNow().UtcDateTime, key, nonce), nonce);
    }

    [Function("DashboardIncident")]
    public async Task<IActionResult> Incident(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dashboard/incidents/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id)
    {
        string? key = Key(request);
        OrchestrationMetadata? m = IncidentIds.LooksValid(id)
            ? await client.GetInstanceAsync(id, getInputsAndOutputs: true, request.HttpContext.RequestAborted)
            : null;
        if (m is null)
        {
            return Html(request, StatusCodes.Status404NotFound,
                DashboardPages.Refused("Unknown incident", [$"There is no incident {(id.Length > 64 ? id[..64] + "…" : id)}."], key));
        }

        string? done = request.Query["done"].FirstOrDefault() is { } d && OperatorActions.IsValid(d) ? d : null;
        string nonce = Nonce();
        return Html(request, StatusCodes.Status200OK,
            DashboardPages.Incident(m.InstanceId, m.RuntimeStatus.ToString(), IncidentQueries.StatusOf(m), time.GetUtcNow().UtcDateTime, key, done, nonce), nonce);
    }

    /// <summary>The function key the page was opened with (Azure), carried into its links and forms.</summary>
    static string? Key(HttpRequest request) => request.Query["code"].FirstOrDefault();

    static string Nonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>HTML with a policy that allows only this response's inline script and same-origin requests.</summary>
    public static ContentResult Html(HttpRequest request, int status, string html, string? nonce = null)
    {
        IHeaderDictionary headers = request.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'self'; " +
            "frame-ancestors 'none'; base-uri 'none'" + (nonce is null ? "" : $"; script-src 'nonce-{nonce}'");
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer"; // links may carry the function key
        headers.CacheControl = "no-store";
        return new ContentResult { StatusCode = status, ContentType = "text/html; charset=utf-8", Content = html };
    }
}
