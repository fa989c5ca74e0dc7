using System.Security.Cryptography;
using Cordon.Incidents;
using Cordon.Operators;
using Microsoft.AspNetCore.Mvc;

namespace Cordon.Monitoring;

/// <summary>
/// The operators' dashboard: the incidents list and one page per incident, rendered on the server
/// from the same status the incidents API returns. Behind App Service Authentication in Azure
/// (/api/dashboard: Entra ID sign-in, Cordon.Reader or Cordon.Operator); the local host also serves the list at /.
/// </summary>
public sealed class Dashboard(TimeProvider time, OperatorSignIn signIn)
{
    // HTTP routes (under /api), declared once for the Functions host and the local host.
    public const string ListRoute = "dashboard";
    public const string IncidentRoute = "dashboard/incidents/{id}";

    [Function("Dashboard")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ListRoute)] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        SignInCheck who = signIn.Check(request, OperatorRight.View);
        if (!who.Allowed)
        {
            return SignInNeeded(request, who);
        }

        string? key = Key(request);
        var (filter, errors) = DashboardFilter.Parse(name => request.Query[name].FirstOrDefault());
        // One page of the list, as /api/incidents pages it (status, created-time filters, continuation; Link header).
        var (query, pageErrors) = IncidentListQuery.Parse(name => request.Query[name].ToString()); // a repeated parameter reads "a,b": refused, not the first silently
        errors = [.. errors, .. pageErrors];
        if (errors.Count > 0)
        {
            return Html(request, StatusCodes.Status400BadRequest, DashboardPages.Refused("Filter not understood", errors, key));
        }

        IncidentPage page = await IncidentQueries.PageForAsync(request, client, query);
        string nonce = Nonce();
        return Html(request, StatusCodes.Status200OK, DashboardPages.List(page.Rows, filter, time.GetUtcNow().UtcDateTime, key, nonce, who.Principal,
            page.Next is null ? null : NextPage(request, page.Next)), nonce);
    }

    /// <summary>This page's address with the next page's continuation: the filters and the key go along.</summary>
    static string NextPage(HttpRequest request, string continuation)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.QueryString.Value)
            .Where(kv => !kv.Key.Equals("continuation", StringComparison.OrdinalIgnoreCase)).ToList(); // the query is read ignoring case
        query.Add(new("continuation", continuation));
        return request.Path + QueryString.Create(query).ToUriComponent();
    }

    [Function("DashboardIncident")]
    public async Task<IActionResult> Incident(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = IncidentRoute)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id)
    {
        SignInCheck who = signIn.Check(request, OperatorRight.View);
        if (!who.Allowed)
        {
            return SignInNeeded(request, who);
        }

        string? key = Key(request);
        OrchestrationMetadata? m = IncidentIds.LooksValid(id)
            ? await client.GetInstanceAsync(id, getInputsAndOutputs: true, request.HttpContext.RequestAborted)
            : null;
        if (m is null)
        {
            return Html(request, StatusCodes.Status404NotFound,
                DashboardPages.Refused("Unknown incident", [IncidentsApi.UnknownIncident(id)], key));
        }

        string? done = request.Query["done"].FirstOrDefault() is { } d && OperatorActions.IsValid(d) ? d : null;
        string nonce = Nonce();
        return Html(request, StatusCodes.Status200OK,
            DashboardPages.Incident(m.InstanceId, m.RuntimeStatus.ToString(), IncidentQueries.StatusOf(m), time.GetUtcNow().UtcDateTime, key, done, nonce, who.Principal), nonce);
    }

    /// <summary>The sign-in page (401) or the missing-role page (403), coming back to this page (a local path only) after sign-in.</summary>
    static ContentResult SignInNeeded(HttpRequest request, SignInCheck who) =>
        Html(request, who.Status, DashboardPages.SignInNeeded(who.Refusal!, request.Path.Value + request.QueryString.Value));

    /// <summary>The function key the page was opened with (Azure), carried into its links and forms.</summary>
    static string? Key(HttpRequest request) => request.Query["code"].FirstOrDefault();

    static string Nonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>HTML with a policy that allows only this response's inline script and same-origin requests.</summary>
    public static ContentResult Html(HttpRequest request, int status, string html, string? nonce = null)
    {
        PageHeaders(request, nonce);
        return new ContentResult { StatusCode = status, ContentType = "text/html; charset=utf-8", Content = html };
    }

    /// <summary>
    /// The headers of a page that shows people's data (the dashboard's, the approval links'): no script but this response's,
    /// never framed, never cached, no referrer (its address may carry a function key or an approval token), no sniffing.
    /// </summary>
    public static void PageHeaders(HttpRequest request, string? nonce = null)
    {
        IHeaderDictionary headers = request.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'self'; " +
            "frame-ancestors 'none'; base-uri 'none'" + (nonce is null ? "" : $"; script-src 'nonce-{nonce}'");
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer"; // links may carry the function key
        headers.CacheControl = "no-store";
    }
}
