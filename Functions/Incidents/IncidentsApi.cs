using Cordon.Alerts;
using Cordon.Approvals;
using Cordon.Monitoring;
using Cordon.Operators;
using Microsoft.AspNetCore.Mvc;

namespace Cordon.Incidents;

public sealed record IncidentRow(
    string IncidentId, string Subject, string VendorId, string SiteId, string Severity, string Stage, string? Outcome,
    DateTime OpenedAt, DateTime UpdatedAt, DateTime? ContainedAt, double? SecondsToContain, int PendingApprovals,
    DateTime? NextDeadline, string RuntimeStatus, bool WaitingForOperator, DateTime? ExposureEndsBy = null,
    IReadOnlyList<PendingApproval>? Approvals = null, Deadline? NearestDeadline = null);

public sealed record IncidentDetail(
    string IncidentId, string RuntimeStatus, string Stage, string? Outcome, string Severity, double RiskScore,
    string Subject, string VendorId, string SiteId, DateTime OpenedAt, DateTime UpdatedAt,
    DateTime? ContainedAt, DateTime? ExposureEndsBy, IReadOnlyList<ExposureWindow> Exposure,
    IReadOnlyList<TimelineEntry> Timeline, IReadOnlyList<PendingApproval> PendingApprovals, IReadOnlyList<Deadline> Deadlines,
    IncidentMetrics Metrics, ContainmentSummary? Containment, StepFailure? WaitingForOperator, IReadOnlyList<string> AlertIds, string? ReportName,
    int AlertCount = 0, IReadOnlyList<AlertSummary>? Alerts = null, IReadOnlyList<StepFailure>? WaitingSteps = null,
    Cordon.Evidence.CustodyHead? EvidenceHead = null, string? ConfigurationVersion = null, Cordon.Roster.RosterCheck? Roster = null,
    int EvidencePending = 0);

/// <summary>The body of POST /api/incidents/{id}/actions. Who acts is the signed-in operator, never a field.</summary>
public sealed record OperatorActionRequest(string? Action, string? Reason, string? Decision = null, string? Step = null);

/// <summary>
/// The incidents API for operators: list, detail and operator actions. Behind App Service Authentication
/// in Azure (Entra ID sign-in, app roles Cordon.Reader to view and Cordon.Operator to act); the local host
/// stands in for it.
/// </summary>
public sealed class IncidentsApi(OperatorSignIn signIn, Cordon.Evidence.IEvidenceStore evidence, TimeProvider time, ILogger<IncidentsApi> logger)
{
    // HTTP routes (under /api), declared once for the Functions host and the local host.
    public const string ListRoute = "incidents";
    public const string ItemRoute = "incidents/{id}";
    public const string ActionsRoute = "incidents/{id}/actions";

    const int MaxReasonLength = 1000;
    const int MaxStepLength = 100;
    const int MaxActionBytes = 16 * 1024;

    /// <summary>
    /// One page of incidents (<see cref="IncidentListQuery"/>): a JSON array of rows; when there are more, the answer's
    /// <c>Link: &lt;…&amp;continuation=…&gt;; rel="next"</c> header names the next page.
    /// </summary>
    [Function("ListIncidents")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ListRoute)] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        if (Refusal(signIn, request, OperatorRight.View) is { } refused)
        {
            return refused;
        }

        var (query, errors) = IncidentListQuery.Parse(name => request.Query[name].ToString()); // a repeated parameter reads "a,b": refused, not the first silently
        if (errors.Count > 0)
        {
            return Problems.BadRequest("List refused", errors);
        }

        IncidentPage page = await IncidentQueries.PageForAsync(request, client, query);
        return new OkObjectResult(page.Rows);
    }

    [Function("GetIncident")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ItemRoute)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id)
    {
        if (Refusal(signIn, request, OperatorRight.View) is { } refused)
        {
            return refused;
        }

        IncidentDetail? detail = await IncidentQueries.GetAsync(client, id, request.HttpContext.RequestAborted);
        return detail is null ? Problems.NotFound("Unknown incident", UnknownIncident(id)) : new OkObjectResult(detail);
    }

    /// <summary>
    /// POST /api/incidents/{id}/actions {action: retry|decide|close|restart, reason, decision?}. The dashboard's forms
    /// post the same fields form-encoded and are redirected back to the incident page. The operator is the
    /// signed-in principal: no principal 401, a reader 403.
    /// </summary>
    [Function("IncidentAction")]
    public async Task<IActionResult> Act(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ActionsRoute)] HttpRequest request,
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

            var (form, unreadable) = await Problems.ReadFormAsync(request, request.HttpContext.RequestAborted);
            if (form is null)
            {
                return Refuse(StatusCodes.Status400BadRequest, "Action refused", [unreadable!]);
            }

            string? Field(string name) => form[name].FirstOrDefault() is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
            body = new OperatorActionRequest(Field("action"), Field("reason"), Field("decision"), Field("step"));
        }
        else if (!request.HasJsonContentType())
        {
            // A JSON API: other media types (text/plain is what a cross-site page may send without asking) are refused.
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Action refused",
                $"send the action as application/json (got {(string.IsNullOrEmpty(request.ContentType) ? "no content type" : Truncate(request.ContentType))}), or post the dashboard's form", []);
        }
        else
        {
            byte[]? bytes = await Problems.ReadBodyAsync(request, MaxActionBytes, request.HttpContext.RequestAborted);
            if (bytes is null)
            {
                return Problems.BadRequest("Action refused", [$"the action is larger than {MaxActionBytes / 1024} KB"]);
            }

            try
            {
                body = System.Text.Json.JsonSerializer.Deserialize<OperatorActionRequest>(bytes, System.Text.Json.JsonSerializerOptions.Web);
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
            {
                // InvalidOperationException: text that cannot be a string (an escaped lone surrogate).
                return Problems.BadRequest("Action refused", [$"body is not a valid action: {ex.Message}"]);
            }
        }

        var errors = new List<string>();
        if (body is null || !OperatorActions.IsValid(body.Action))
        {
            errors.Add("action must be retry, decide, close or restart");
        }

        if (string.IsNullOrWhiteSpace(body?.Reason))
        {
            errors.Add("reason is required: it goes on the incident timeline");
        }

        // Both go into the incident's status, which has a size limit.
        if (body?.Step is { Length: > MaxStepLength })
        {
            errors.Add($"step must be at most {MaxStepLength} characters: the name of a waiting step");
        }

        if (body?.Reason is { Length: > MaxReasonLength })
        {
            errors.Add($"reason must be at most {MaxReasonLength} characters");
        }

        if (body?.Action == OperatorActions.Decide && body.Decision is not ("approve" or "reject"))
        {
            errors.Add("decision must be approve or reject for action decide");
        }

        if (body?.Step is not null && body.Action != OperatorActions.Retry)
        {
            errors.Add($"step names the failed step to retry; it does not apply to action {body.Action}");
        }

        if (body?.Reason is { } reason && FreeText.HidesOrReordersText(reason))
        {
            errors.Add("reason must not contain control or text-direction characters");
        }

        if (errors.Count > 0)
        {
            return Refuse(StatusCodes.Status400BadRequest, "Action refused", errors);
        }

        OrchestrationMetadata? m = IncidentIds.LooksValid(id) ? await client.GetInstanceAsync(id, getInputsAndOutputs: true, request.HttpContext.RequestAborted) : null;
        if (m is null)
        {
            return Refuse(StatusCodes.Status404NotFound, "Unknown incident", [UnknownIncident(id)]);
        }

        OperatorPrincipal operatorPrincipal = who.Principal!;
        if (body!.Action == OperatorActions.Restart)
        {
            (int refusal, string title, string error, int number) = await RestartAsync(client, m, operatorPrincipal, body.Reason!.Trim(), request.HttpContext.RequestAborted);
            if (refusal != StatusCodes.Status202Accepted)
            {
                return Refuse(refusal, title, [error]);
            }

            if (fromForm)
            {
                request.HttpContext.Response.Headers.Location = DashboardPages.IncidentPath(id, key, OperatorActions.Restart);
                return new StatusCodeResult(StatusCodes.Status303SeeOther);
            }

            return new AcceptedResult($"/api/incidents/{id}", new { incidentId = id, action = OperatorActions.Restart, @operator = operatorPrincipal.Display, restart = number });
        }

        if (!m.IsRunning && m.RuntimeStatus != OrchestrationRuntimeStatus.Pending)
        {
            return Refuse(StatusCodes.Status409Conflict, "Incident closed", [$"Incident {id} is {m.RuntimeStatus}; nothing was changed." +
                (m.RuntimeStatus == OrchestrationRuntimeStatus.Failed ? " Its workflow failed: restart it (action restart) to make it go on." : "")]);
        }

        var action = new OperatorAction(body!.Action!, operatorPrincipal.Display, body.Reason!.Trim(), body.Decision, body.Step, operatorPrincipal.Identity,
            operatorPrincipal.SignInAddresses);
        IncidentStatus status = IncidentQueries.StatusOf(m);
        if (status.Subject.Length > 0 && GateRules.IsBySubject(action, status.Subject))
        {
            return Refuse(StatusCodes.Status403Forbidden, "Not allowed", [$"You are the subject of incident {id}: the subject never acts on their own incident; nothing was changed."]);
        }

        // What the incident shows now: an action it would refuse is refused here, with the reason, instead of a 202 the
        // timeline later contradicts (found by an attack: a decide naming a step that does not exist decided the open
        // gate). The incident still judges every action it receives: its state may change in between.
        if (IncidentQueries.Inapplicable(status, body!) is { } conflict)
        {
            return Refuse(StatusCodes.Status409Conflict, "Action not applicable", [$"{conflict}; nothing was changed."]);
        }

        await client.RaiseEventAsync(id, IncidentEvents.OperatorAction, action, request.HttpContext.RequestAborted);
        if (fromForm)
        {
            request.HttpContext.Response.Headers.Location = DashboardPages.IncidentPath(id, key, action.Action);
            return new StatusCodeResult(StatusCodes.Status303SeeOther);
        }

        return new AcceptedResult($"/api/incidents/{id}", new { incidentId = id, action = action.Action, @operator = action.Operator });
    }

    /// <summary>
    /// Restarts an incident whose workflow failed: a new execution under the same id, on the current workflow, with the
    /// failed run's input (the same alert, plan and flags) and an <see cref="IncidentRestart"/> saying who restarted it,
    /// why and when; the request is also stored with the evidence before anything starts. The failed run's status is
    /// replaced (its timeline is carried into the new run's). Refused (409) for an incident that did not fail — running,
    /// completed or terminated (terminated is a deliberate stop by someone with access to the backend: Cordon does not undo
    /// it) — and while another incident of the same subject is open (alerts go there; act on that one). The subject of the
    /// incident may never restart it (403). Only Failed is replaceable at the store, so two restarts at once start one run.
    /// </summary>
    async Task<(int Status, string Title, string Error, int Number)> RestartAsync(DurableTaskClient client, OrchestrationMetadata m, OperatorPrincipal who,
        string reason, CancellationToken cancellationToken)
    {
        string id = m.InstanceId;
        IncidentStatus status = IncidentQueries.StatusOf(m);
        IncidentInput? input = null;
        try
        {
            input = m.SerializedInput is null ? null : m.ReadInputAs<IncidentInput>();
        }
        catch (System.Text.Json.JsonException)
        {
            // not an incident's input: refused below
        }

        string subject = input?.Alert?.Subject?.UserPrincipalName ?? status.Subject;
        var asAction = new OperatorAction(OperatorActions.Restart, who.Display, reason, OperatorId: who.Identity, SignInAddresses: who.SignInAddresses);
        if ((subject.Length > 0 && GateRules.IsBySubject(asAction, subject)) || (status.Subject.Length > 0 && GateRules.IsBySubject(asAction, status.Subject)))
        {
            return (StatusCodes.Status403Forbidden, "Not allowed", $"You are the subject of incident {id}: the subject never acts on their own incident; nothing was changed.", 0);
        }

        if (m.RuntimeStatus != OrchestrationRuntimeStatus.Failed)
        {
            string why = m.RuntimeStatus switch
            {
                OrchestrationRuntimeStatus.Terminated => "it was terminated (stopped on purpose outside Cordon), and Cordon does not undo that",
                OrchestrationRuntimeStatus.Completed => "it is closed",
                _ => "it is still running: use retry, decide or close",
            };
            return (StatusCodes.Status409Conflict, "Not restartable", $"Only an incident whose workflow failed can be restarted; incident {id} is {m.RuntimeStatus}: {why}. Nothing was changed.", 0);
        }

        if (input?.Alert?.Subject is null || input.IncidentId != id)
        {
            return (StatusCodes.Status409Conflict, "Not restartable", $"Incident {id}'s input cannot be read as an incident's: it cannot be started again from Cordon. Nothing was changed.", 0);
        }

        var open = new OrchestrationQuery { InstanceIdPrefix = IncidentIds.SubjectPrefix(subject), Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended], FetchInputsAndOutputs = true };
        await foreach (OrchestrationMetadata other in client.GetAllInstancesAsync(open).WithCancellation(cancellationToken))
        {
            if (other.InstanceId != id && other.SerializedInput is not null && other.ReadInputAs<IncidentInput>() is { } o
                && Cordon.World.SubjectIdentity.Same(o.Alert.Subject.UserPrincipalName, subject))
            {
                return (StatusCodes.Status409Conflict, "Not restartable",
                    $"Incident {other.InstanceId} of the same subject is open and takes their alerts: act on it (restarting {id} would give the subject two open incidents). Nothing was changed.", 0);
            }
        }

        int number = (input.Restart?.Number ?? 0) + 1;
        DateTime at = time.GetUtcNow().UtcDateTime;
        string? failure = m.FailureDetails?.ErrorMessage is { } f ? (f.Length > 300 ? f[..300] + "…" : f) : null;
        var restart = new IncidentRestart(number, who.Display, who.Identity, reason, at, failure, status.Timeline);
        var record = new
        {
            incidentId = id, restart = number, @operator = who.Display, operatorId = who.Identity, reason, requestedAt = at,
            failedAt = m.LastUpdatedAt.UtcDateTime, previousFailure = failure, previousWorkflow = m.Name, workflow = IncidentWorkflow.Current,
        };
        // The request is evidence before anything starts: a restart that then loses to a concurrent one leaves its request here, the timeline says which ran.
        // Each request its own item (items are write-once): two in the same millisecond collided, and the second answered 500.
        await evidence.PutAsync(id, $"operator-restart-{number.ToString(System.Globalization.CultureInfo.InvariantCulture)}-{at:yyyyMMdd'T'HHmmssfff'Z'}-{Guid.NewGuid():N}.json",
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, CordonJson.Options), "application/json",
            new Cordon.Evidence.CustodyNote("cordon/operator", $"restart {number} requested by {who.Display}"), cancellationToken);
        try
        {
            // Every status but Failed refuses the start: a run started meanwhile (a concurrent restart) is never replaced.
            await client.ScheduleNewOrchestrationInstanceAsync(new TaskName(IncidentWorkflow.Current), input with { Restart = restart },
                new StartOrchestrationOptions(id).WithDedupeStatuses(
                    OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
                    OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Terminated), cancellationToken);
        }
        catch (Exception ex) when ((ex is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.AlreadyExists }) ||
            (ex is InvalidOperationException && ex.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase)))
        {
            return (StatusCodes.Status409Conflict, "Not restartable", $"Incident {id} was started again meanwhile (another restart); nothing more was changed.", 0);
        }

        logger.LogWarning("Incident {IncidentId} restarted (restart {Restart}) by {Operator}: {Reason}", id, number, who.Display, reason);
        return (StatusCodes.Status202Accepted, "", "", number);
    }

    /// <summary>
    /// The operator APIs' opening: null when the request's signed-in operator holds <paramref name="right"/>, else the
    /// answer refusing it (<see cref="Refused"/>).
    /// </summary>
    public static ObjectResult? Refusal(OperatorSignIn signIn, HttpRequest request, OperatorRight right) =>
        signIn.Check(request, right) is { Allowed: false } who ? Refused(who) : null;

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

    /// <summary>What the API, the evidence manifest and the dashboard answer for an id that names no incident.</summary>
    public static string UnknownIncident(string id) => $"There is no incident {Truncate(id)}.";
}

/// <summary>Reads incidents from the orchestration store (their custom status is the operator view).</summary>
public static class IncidentQueries
{
    static readonly OrchestrationRuntimeStatus[] OpenStatuses =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    /// <summary>Whether an incident in this runtime status is still open: started (even if not yet run), running or suspended.</summary>
    public static bool IsOpen(OrchestrationRuntimeStatus status) => Array.IndexOf(OpenStatuses, status) >= 0;

    static readonly OrchestrationRuntimeStatus[] ClosedStatuses =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    /// <summary>Every incident, page after page, in list order. Reads the whole store: for tools and tests, not for pages.</summary>
    public static async Task<IReadOnlyList<IncidentRow>> ListAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var rows = new List<IncidentRow>();
        IncidentListQuery query = IncidentListQuery.FirstPage with { PageSize = IncidentListQuery.MaxPageSize };
        do
        {
            IncidentPage page = await PageAsync(client, query, cancellationToken);
            rows.AddRange(page.Rows);
            query = query with { Continuation = page.Next };
        }
        while (query.Continuation is not null);

        return rows;
    }

    /// <summary>
    /// One page: the open incidents (read whole, without inputs, and ordered by <see cref="IncidentUrgency"/>), then the
    /// closed ones newest first (<see cref="ClosedPager"/>). Status and creation-time filters go into the store's query.
    /// </summary>
    public static async Task<IncidentPage> PageAsync(DurableTaskClient client, IncidentListQuery query, CancellationToken cancellationToken)
    {
        ListCursor cursor = query.Continuation is { } c ? ListCursor.TryParse(c) ?? ListCursor.OpenStart
            : query.Status == IncidentListStatus.Closed ? ListCursor.ClosedStart(ClosedStartTime(query)) : ListCursor.OpenStart;
        var rows = new List<IncidentRow>();
        if (!cursor.Closed)
        {
            var open = new List<IncidentRow>();
            var q = new OrchestrationQuery
            {
                InstanceIdPrefix = IncidentIds.Prefix, Statuses = OpenStatuses, CreatedFrom = query.CreatedFrom, CreatedTo = query.CreatedTo,
                FetchInputsAndOutputs = false, PageSize = 1000,
            };
            await foreach (OrchestrationMetadata m in client.GetAllInstancesAsync(q).WithCancellation(cancellationToken))
            {
                open.Add(RowOf(m));
            }

            rows.AddRange(IncidentUrgency.Order(open, DateTime.UtcNow).Skip(cursor.Offset).Take(query.PageSize));
            if (cursor.Offset + rows.Count < open.Count)
            {
                return new IncidentPage(rows, (cursor with { Offset = cursor.Offset + rows.Count }).Encode());
            }

            if (query.Status == IncidentListStatus.Open)
            {
                return new IncidentPage(rows, null);
            }

            cursor = ListCursor.ClosedStart(ClosedStartTime(query));
            if (rows.Count == query.PageSize)
            {
                return new IncidentPage(rows, cursor.Encode());
            }
        }

        async Task<(IReadOnlyList<ListedIncident>, bool)> ReadClosedAsync(DateTime from, DateTime to, int max)
        {
            var found = new List<ListedIncident>();
            var q = new OrchestrationQuery
            {
                InstanceIdPrefix = IncidentIds.Prefix, Statuses = ClosedStatuses, CreatedFrom = from, CreatedTo = to,
                FetchInputsAndOutputs = false, PageSize = Math.Min(max + 1, 1000),
            };
            await foreach (OrchestrationMetadata m in client.GetAllInstancesAsync(q).WithCancellation(cancellationToken))
            {
                found.Add(new ListedIncident(RowOf(m), m.CreatedAt.UtcDateTime));
                if (found.Count > max)
                {
                    return (found, true);
                }
            }

            return (found, false);
        }

        // The first closed page without filters (a polled dashboard) starts from where the newest were found last time.
        bool firstUnfiltered = cursor.LastId is null && query.CreatedFrom is null && query.CreatedTo is null;
        var (closed, next, hint) = await ClosedPager.PageAsync(ReadClosedAsync, cursor, query.CreatedFrom ?? ClosedPager.Floor, query.PageSize - rows.Count,
            firstUnfiltered ? closedHint : null);
        if (firstUnfiltered && hint is not null)
        {
            closedHint = hint;
        }

        rows.AddRange(closed);
        return new IncidentPage(rows, next?.Encode());
    }

    /// <summary>A hint for window sizes only (see <see cref="ClosedPager"/>): per process, shared by every caller.</summary>
    static volatile ClosedHint? closedHint;

    /// <summary>Closed incidents are walked back from the createdTo filter, else from a little after now.</summary>
    static DateTime ClosedStartTime(IncidentListQuery query) => query.CreatedTo ?? DateTime.UtcNow.AddMinutes(1);

    /// <summary>One page for an HTTP request (the API's or the dashboard's), the next page named in its answer.</summary>
    public static async Task<IncidentPage> PageForAsync(HttpRequest request, DurableTaskClient client, IncidentListQuery query)
    {
        IncidentPage page = await PageAsync(client, query, request.HttpContext.RequestAborted);
        LinkNext(request, query, page);
        return page;
    }

    /// <summary>Names the next page in the answer: <c>Link: &lt;/api/incidents?…&gt;; rel="next"</c>.</summary>
    static void LinkNext(HttpRequest request, IncidentListQuery query, IncidentPage page)
    {
        if (page.Next is not null)
        {
            string path = request.Path.Value ?? "";
            string? key = request.Query["code"].FirstOrDefault();
            string next = path + query.NextQueryString(page.Next) + (key is null ? "" : "&code=" + Uri.EscapeDataString(key));
            request.HttpContext.Response.Headers.Append("Link", $"<{next}>; rel=\"next\"");
        }
    }

    /// <summary>Why the incident, as its status shows it, would refuse this operator action; null when it would take it.</summary>
    internal static string? Inapplicable(IncidentStatus status, OperatorActionRequest body)
    {
        if (status.ClosingAt is not null && body.Action != OperatorActions.Close)
        {
            return "the incident's outcome is final: it is closing";
        }

        if (body.Action == OperatorActions.Retry)
        {
            var waiting = status.WaitingSteps.Select(w => w.Step).ToList();
            return waiting.Count == 0 ? "no step is waiting for a retry"
                : body.Step is { } step && !waiting.Contains(step, StringComparer.Ordinal) ? $"step {step} is not waiting for a retry (waiting: {string.Join(", ", waiting)})"
                : null;
        }

        return body.Action == OperatorActions.Decide && status.PendingApprovals.Count == 0 ? "no gate is open for a decision" : null;
    }

    static IncidentRow RowOf(OrchestrationMetadata m)
    {
        IncidentStatus s = StatusOf(m);
        Deadline? nearest = s.Stage == Stages.Closed ? null : s.Deadlines.Where(d => d.MetAt is null).OrderBy(d => d.DueAt).FirstOrDefault();
        return new IncidentRow(m.InstanceId, s.Subject, s.VendorId, s.SiteId, s.Severity, s.Stage, s.Outcome,
            s.OpenedAt, s.UpdatedAt, s.ContainedAt, s.Metrics.SecondsToContain, s.PendingApprovals.Count,
            nearest?.DueAt, m.RuntimeStatus.ToString(), s.WaitingForOperator is not null, s.ExposureEndsBy,
            s.PendingApprovals.Select(p => p with { Proposal = null }).ToList(), nearest);
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
            s.Containment, s.WaitingForOperator, s.AlertIds, s.ReportName, Math.Max(s.AlertCount, s.AlertIds.Count), s.Alerts, s.WaitingSteps, s.EvidenceHead,
            s.ConfigurationVersion, s.Roster, s.EvidencePending);
    }

    /// <summary>Reads a status serialized by either host's converter (camelCase or not).</summary>
    static readonly System.Text.Json.JsonSerializerOptions StatusJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>
    /// The incident's result (fetched with inputs and outputs): only a completed incident's output is one. A terminated
    /// one's is the operator's reason (found by an attack: read as a result, it failed every later alert of the person
    /// with a 500), and a failed one has none.
    /// </summary>
    public static IncidentResult? ResultOf(OrchestrationMetadata m)
    {
        if (m.RuntimeStatus != OrchestrationRuntimeStatus.Completed || m.SerializedOutput is null)
        {
            return null;
        }

        try
        {
            return m.ReadOutputAs<IncidentResult>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // not a result: the status is what is known
        }
    }

    /// <summary>The status, or one rebuilt from the input while the orchestration has not published yet.</summary>
    public static IncidentStatus StatusOf(OrchestrationMetadata m)
    {
        IncidentStatus? s = m.SerializedCustomStatus is null ? null
            : m.DataConverter is not null ? m.ReadCustomStatusAs<IncidentStatus>()
            : System.Text.Json.JsonSerializer.Deserialize<IncidentStatus>(m.SerializedCustomStatus, StatusJson); // a list row, fetched without inputs
        if (s is null && m.SerializedInput is not null && m.DataConverter is not null && m.ReadInputAs<IncidentInput>() is { } input)
        {
            s = new IncidentStatus
            {
                Subject = input.Alert.Subject.UserPrincipalName, VendorId = input.Alert.Subject.VendorId, SiteId = input.Alert.Subject.SiteId,
                Severity = input.Alert.Severity, RiskScore = input.Alert.RiskScore, OpenedAt = input.ReceivedAt, UpdatedAt = input.ReceivedAt,
                AlertIds = [AlertKeys.Of(input.Alert)], AlertCount = 1, Alerts = [AlertSummary.Of(input.Alert)],
            };
        }

        s ??= new IncidentStatus { OpenedAt = m.CreatedAt.UtcDateTime, UpdatedAt = m.LastUpdatedAt.UtcDateTime };
        return m.RuntimeStatus switch
        {
            // Not a closed incident like the others: nothing moves on its own any more, and whatever the workflow (or
            // intake, for it) changed stays changed. It heads the operators' list as waiting for them (found by an
            // attack: an incident that failed after intake had disabled the account showed as closed, unreviewed).
            OrchestrationRuntimeStatus.Failed => s with
            {
                Stage = Stages.Closed,
                Outcome = s.Outcome ?? Outcomes.Unreviewed,
                WaitingForOperator = new StepFailure(WorkflowFailedStep,
                    $"the incident's workflow stopped with an error ({m.FailureDetails?.ErrorMessage ?? "no details recorded"}): nothing more happens on its own, " +
                    "and what it changed stays changed — check the subject's access in the directory (containment may have been applied at intake) and undo by hand what the evidence shows",
                    m.LastUpdatedAt.UtcDateTime),
            },
            OrchestrationRuntimeStatus.Terminated => s with { Stage = Stages.Closed, Outcome = s.Outcome ?? Outcomes.Unreviewed },
            _ => s,
        };
    }

    /// <summary>The step an incident whose orchestration failed is shown waiting on.</summary>
    public const string WorkflowFailedStep = "workflow";
}
