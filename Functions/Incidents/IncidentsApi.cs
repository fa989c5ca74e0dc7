using Cordon.Alerts;
using Cordon.Monitoring;
using Cordon.Operators;
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
    IncidentMetrics Metrics, ContainmentSummary? Containment, StepFailure? WaitingForOperator, IReadOnlyList<string> AlertIds, string? ReportName);

/// <summary>The body of POST /api/incidents/{id}/actions. Who acts is the signed-in operator, never a field.</summary>
public sealed record OperatorActionRequest(string? Action, string? Reason, string? Decision = null);

/// <summary>
/// The incidents API for operators: list, detail and operator actions. Behind App Service Authentication
/// in Azure (Entra ID sign-in, app roles Cordon.Reader to view and Cordon.Operator to act); the local host
/// stands in for it.
/// </summary>
public sealed class IncidentsApi(OperatorSignIn signIn)
{
    const int MaxReasonLength = 1000;

    [Function("ListIncidents")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "incidents")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        SignInCheck who = signIn.Check(request, OperatorRight.View);
        return !who.Allowed ? Refused(who) : new OkObjectResult(await IncidentQueries.ListAsync(client, request.HttpContext.RequestAborted));
    }

    [Function("GetIncident")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "incidents/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id)
    {
        SignInCheck who = signIn.Check(request, OperatorRight.View);
        if (!who.Allowed)
        {
            return Refused(who);
        }

        IncidentDetail? detail = await IncidentQueries.GetAsync(client, id, request.HttpContext.RequestAborted);
        return detail is null ? Problems.NotFound("Unknown incident", $"There is no incident {Truncate(id)}.") : new OkObjectResult(detail);
    }

    /// <summary>
    /// POST /api/incidents/{id}/actions {action: retry|decide|close, reason, decision?}. The dashboard's forms
    /// post the same fields form-encoded and are redirected back to the incident page. The operator is the
    /// signed-in principal: no principal 401, a reader 403.
    /// </summary>
    [Function("IncidentAction")]
    public async Task<IActionResult> Act(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/actions")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id)
    {
        bool fromForm = request.HasFormContentType;
        string? key = request.Query["code"].FirstOrDefault();
        IActionResult Refuse(int status, string title, IReadOnlyList<string> errors) => fromForm
            ? Dashboard.Html(request, status, DashboardPages.ActionRefused(id, key, errors))
            : Problems.Create(status, title, string.Join("; ", errors), status == StatusCodes.Status400BadRequest ? errors : []);

        SignInCheck who = signIn.Check(request, OperatorRight.Act);
        if (!who.Allowed)
        {
            return Refuse(who.Status, who.Status == StatusCodes.Status401Unauthorized ? "Not signed in" : "Not allowed", [who.Refusal!]);
        }

        OperatorActionRequest? body;
        if (fromForm)
        {
            // A form post carries no custom header, so another site could forge one: accept only our own pages.
            if (!SameOrigin(request))
            {
                return Refuse(StatusCodes.Status403Forbidden, "Action refused", ["the form was not posted from this dashboard"]);
            }

            IFormCollection form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            string? Field(string name) => form[name].FirstOrDefault() is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
            body = new OperatorActionRequest(Field("action"), Field("reason"), Field("decision"));
        }
        else
        {
            try
            {
                body = await request.ReadFromJsonAsync<OperatorActionRequest>(request.HttpContext.RequestAborted);
            }
            catch (System.Text.Json.JsonException ex)
            {
                return Problems.BadRequest("Action refused", [$"body is not a valid action: {ex.Message}"]);
            }
        }

        var errors = new List<string>();
        if (body is null || !OperatorActions.IsValid(body.Action))
        {
            errors.Add("action must be retry, decide or close");
        }

        if (string.IsNullOrWhiteSpace(body?.Reason))
        {
            errors.Add("reason is required: it goes on the incident timeline");
        }

        // It goes into the incident's status, which has a size limit.
        if (body?.Reason is { Length: > MaxReasonLength })
        {
            errors.Add($"reason must be at most {MaxReasonLength} characters");
        }

        if (body?.Action == OperatorActions.Decide && body.Decision is not ("approve" or "reject"))
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

        OperatorPrincipal operatorPrincipal = who.Principal!;
        var action = new OperatorAction(body!.Action!, operatorPrincipal.Display, body.Reason!.Trim(), body.Decision, operatorPrincipal.Identity);
        await client.RaiseEventAsync(id, IncidentEvents.OperatorAction, action, request.HttpContext.RequestAborted);
        if (fromForm)
        {
            request.HttpContext.Response.Headers.Location = DashboardPages.IncidentPath(id, key, action.Action);
            return new StatusCodeResult(StatusCodes.Status303SeeOther);
        }

        return new AcceptedResult($"/api/incidents/{id}", new { incidentId = id, action = action.Action, @operator = action.Operator });
    }

    /// <summary>401 (nobody signed in) or 403 (signed in without the role), as problem+json.</summary>
    public static ObjectResult Refused(SignInCheck who) =>
        Problems.Create(who.Status, who.Status == StatusCodes.Status401Unauthorized ? "Not signed in" : "Not allowed", who.Refusal!, []);

    /// <summary>
    /// Browsers mark a form post with Sec-Fetch-Site (and Origin): only this site's own pages may post.
    /// Non-browser clients send neither and are let through (the function key still applies in Azure).
    /// </summary>
    public static bool SameOrigin(HttpRequest request)
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
            s.Containment, s.WaitingForOperator, s.AlertIds, s.ReportName);
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
