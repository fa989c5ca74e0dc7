using Cordon.Alerts;
using Cordon.Monitoring;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Cordon.Incidents;

public sealed record IncidentRow(
    string IncidentId, string Subject, string VendorId, string SiteId, string Severity, string Stage, string? Outcome,
    DateTime OpenedAt, DateTime UpdatedAt, DateTime? ContainedAt, double? SecondsToContain, int PendingApprovals,
    DateTime? NextDeadline, string RuntimeStatus, bool WaitingForOperator, DateTime? ExposureEndsBy = null);

public sealed record IncidentDetail(
    string IncidentId, string RuntimeStatus, string Stage, string? Outcome, string Severity, double RiskScore,
    string Subject, string VendorId, string SiteId, DateTime OpenedAt, DateTime UpdatedAt,
    DateTime? ContainedAt, DateTime? ExposureEndsBy, IReadOnlyList<ExposureWindow> Exposure,
    IReadOnlyList<TimelineEntry> Timeline, IReadOnlyList<PendingApproval> PendingApprovals, IReadOnlyList<Deadline> Deadlines,
    IncidentMetrics Metrics, ContainmentSummary? Containment, StepFailure? WaitingForOperator, IReadOnlyList<string> AlertIds, string? ReportName,
    string? ConfigurationVersion = null);

/// <summary>The incidents API for operators: list, detail and operator actions.</summary>
public sealed class IncidentsApi
{
    const int MaxOperatorLength = 100;
    const int MaxReasonLength = 1000;

    [Function("ListIncidents")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "incidents")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new OkObjectResult(await IncidentQueries.ListAsync(client, request.HttpContext.RequestAborted));

    [Function("GetIncident")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "incidents/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id)
    {
        IncidentDetail? detail = await IncidentQueries.GetAsync(client, id, request.HttpContext.RequestAborted);
        return detail is null ? Problems.NotFound("Unknown incident", $"There is no incident {Truncate(id)}.") : new OkObjectResult(detail);
    }

    /// <summary>
    /// POST /api/incidents/{id}/actions {action: retry|decide|close, operator, reason, decision?}. The
    /// dashboard's forms post the same fields form-encoded and are redirected back to the incident page.
    /// </summary>
    [Function("IncidentAction")]
    public async Task<IActionResult> Act(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "incidents/{id}/actions")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id)
    {
        bool fromForm = request.HasFormContentType;
        string? key = request.Query["code"].FirstOrDefault();
        IActionResult Refuse(int status, string title, IReadOnlyList<string> errors) => fromForm
            ? Dashboard.Html(request, status, DashboardPages.ActionRefused(id, key, errors))
            : Problems.Create(status, title, string.Join("; ", errors), status == StatusCodes.Status400BadRequest ? errors : []);

        OperatorAction? action;
        if (fromForm)
        {
            // A form post carries no custom header, so another site could forge one: accept only our own pages.
            if (!SameOrigin(request))
            {
                return Refuse(StatusCodes.Status403Forbidden, "Action refused", ["the form was not posted from this dashboard"]);
            }

            IFormCollection form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            string? Field(string name) => form[name].FirstOrDefault() is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
            action = new OperatorAction(Field("action")!, Field("operator")!, Field("reason")!, Field("decision"));
        }
        else
        {
            try
            {
                action = await request.ReadFromJsonAsync<OperatorAction>(request.HttpContext.RequestAborted);
            }
            catch (System.Text.Json.JsonException ex)
            {
                return Problems.BadRequest("Action refused", [$"body is not a valid action: {ex.Message}"]);
            }
        }

        var errors = new List<string>();
        if (action is null || !OperatorActions.IsValid(action.Action))
        {
            errors.Add("action must be retry, decide or close");
        }

        if (string.IsNullOrWhiteSpace(action?.Operator))
        {
            errors.Add("operator is required: who is acting");
        }

        if (string.IsNullOrWhiteSpace(action?.Reason))
        {
            errors.Add("reason is required: it goes on the incident timeline");
        }

        // Both go into the incident's status, which has a size limit.
        if (action?.Operator is { Length: > MaxOperatorLength })
        {
            errors.Add($"operator must be at most {MaxOperatorLength} characters");
        }

        if (action?.Reason is { Length: > MaxReasonLength })
        {
            errors.Add($"reason must be at most {MaxReasonLength} characters");
        }

        if (action?.Action == OperatorActions.Decide && action.Decision is not ("approve" or "reject"))
        {
            errors.Add("decision must be approve or reject for action decide");
        }

        if (errors.Count > 0)
        {
            return Refuse(StatusCodes.Status400BadRequest, "Action refused", errors);
        }

        OrchestrationMetadata? m = IncidentIds.LooksValid(id) ? await client.GetInstanceAsync(id, request.HttpContext.RequestAborted) : null;
        if (m is null)
        {
            return Refuse(StatusCodes.Status404NotFound, "Unknown incident", [$"There is no incident {Truncate(id)}."]);
        }

        if (!m.IsRunning && m.RuntimeStatus != OrchestrationRuntimeStatus.Pending)
        {
            return Refuse(StatusCodes.Status409Conflict, "Incident closed", [$"Incident {id} is {m.RuntimeStatus}; nothing was changed."]);
        }

        await client.RaiseEventAsync(id, IncidentEvents.OperatorAction, action, request.HttpContext.RequestAborted);
        if (fromForm)
        {
            request.HttpContext.Response.Headers.Location = DashboardPages.IncidentPath(id, key, action!.Action);
            return new StatusCodeResult(StatusCodes.Status303SeeOther);
        }

        return new AcceptedResult($"/api/incidents/{id}", new { incidentId = id, action = action!.Action });
    }

    /// <summary>
    /// Browsers mark a form post with Sec-Fetch-Site (and Origin): only this site's own pages may post.
    /// Non-browser clients send neither and are let through (the function key still applies in Azure).
    /// </summary>
    static bool SameOrigin(HttpRequest request)
    {
        if (request.Headers["Sec-Fetch-Site"].FirstOrDefault() is { } site)
        {
            return site is "same-origin" or "none";
        }

        string? origin = request.Headers.Origin.FirstOrDefault();
        if (origin is null)
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out Uri? o) &&
            (string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase) ||
             string.Equals(o.Authority, request.Headers["X-Forwarded-Host"].FirstOrDefault(), StringComparison.OrdinalIgnoreCase));
    }

    static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}

/// <summary>Reads incidents from the orchestration store (their custom status is the operator view).</summary>
public static class IncidentQueries
{
    public static async Task<IReadOnlyList<IncidentRow>> ListAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var rows = new List<IncidentRow>();
        var query = new OrchestrationQuery { InstanceIdPrefix = IncidentIds.Prefix, FetchInputsAndOutputs = true, PageSize = 500 };
        await foreach (OrchestrationMetadata m in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken))
        {
            IncidentStatus s = StatusOf(m);
            rows.Add(new IncidentRow(m.InstanceId, s.Subject, s.VendorId, s.SiteId, s.Severity, s.Stage, s.Outcome,
                s.OpenedAt, s.UpdatedAt, s.ContainedAt, s.Metrics.SecondsToContain, s.PendingApprovals.Count,
                s.Deadlines.Where(d => d.MetAt is null).Select(d => (DateTime?)d.DueAt).Min(), m.RuntimeStatus.ToString(), s.WaitingForOperator is not null, s.ExposureEndsBy));
        }

        return rows.OrderByDescending(r => r.OpenedAt).ToList();
    }

    public static async Task<IncidentDetail?> GetAsync(DurableTaskClient client, string id, CancellationToken cancellationToken)
    {
        if (!IncidentIds.LooksValid(id))
        {
            return null;
        }

        OrchestrationMetadata? m = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (m is null)
        {
            return null;
        }

        IncidentStatus s = StatusOf(m);
        return new IncidentDetail(m.InstanceId, m.RuntimeStatus.ToString(), s.Stage, s.Outcome, s.Severity, s.RiskScore, s.Subject, s.VendorId, s.SiteId,
            s.OpenedAt, s.UpdatedAt, s.ContainedAt, s.ExposureEndsBy, s.Exposure, s.Timeline, s.PendingApprovals, s.Deadlines, s.Metrics,
            s.Containment, s.WaitingForOperator, s.AlertIds, s.ReportName, s.ConfigurationVersion);
    }

    /// <summary>The status, or one rebuilt from the input while the orchestration has not published yet.</summary>
    public static IncidentStatus StatusOf(OrchestrationMetadata m)
    {
        IncidentStatus? s = m.SerializedCustomStatus is null ? null : m.ReadCustomStatusAs<IncidentStatus>();
        if (s is null && m.SerializedInput is not null && m.ReadInputAs<IncidentInput>() is { } input)
        {
            s = new IncidentStatus
            {
                Subject = input.Alert.Subject.UserPrincipalName, VendorId = input.Alert.Subject.VendorId, SiteId = input.Alert.Subject.SiteId,
                Severity = input.Alert.Severity, RiskScore = input.Alert.RiskScore, OpenedAt = input.ReceivedAt, UpdatedAt = input.ReceivedAt,
                AlertIds = [IncidentRun.AlertKey(input.Alert)],
            };
        }

        s ??= new IncidentStatus { OpenedAt = m.CreatedAt.UtcDateTime, UpdatedAt = m.LastUpdatedAt.UtcDateTime };
        return m.RuntimeStatus is OrchestrationRuntimeStatus.Terminated or OrchestrationRuntimeStatus.Failed
            ? s with { Stage = Stages.Closed, Outcome = s.Outcome ?? Outcomes.Unreviewed }
            : s;
    }
}
