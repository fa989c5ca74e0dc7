using Cordon.Policy;
using System.Globalization;
using System.Net;
using System.Text;
using Cordon.Alerts;
using Cordon.Incidents;
using Cordon.Operators;

namespace Cordon.Monitoring;

/// <summary>The filters of the incidents list, from the query string (so they work without JavaScript).</summary>
public sealed record DashboardFilter(string? Stage, string? Outcome, string? Severity, string? Text)
{
    /// <summary>"open" in the outcome filter: incidents without an outcome yet.</summary>
    public const string OpenOutcome = "open";

    public static readonly IReadOnlyList<string> AllStages =
    [
        Stages.Triage, Stages.Containment, Stages.AwaitingConfirmation, Stages.Revocation, Stages.AwaitingNotificationApproval,
        Stages.ClientNotification, Stages.AwaitingVendorApproval, Stages.VendorOffboarding, Stages.Closed,
    ];

    public static readonly IReadOnlyList<string> AllOutcomes = [OpenOutcome, Outcomes.ConfirmedInsider, Outcomes.FalsePositive, Outcomes.Unreviewed];

    public bool Matches(IncidentRow r) =>
        (Stage is null || r.Stage == Stage) &&
        (Outcome is null || (Outcome == OpenOutcome ? r.Outcome is null : r.Outcome == Outcome)) &&
        (Severity is null || r.Severity == Severity) &&
        (Text is null || new[] { r.IncidentId, r.Subject, r.VendorId, r.SiteId }.Any(f => f.Contains(Text, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Reads the filters; an unknown value is an error naming the parameter rather than an empty list.</summary>
    public static (DashboardFilter Filter, IReadOnlyList<string> Errors) Parse(Func<string, string?> query)
    {
        var errors = new List<string>();
        string? Pick(string name, IReadOnlyList<string> allowed)
        {
            string? v = Blank(query(name));
            if (v is not null && !allowed.Contains(v))
            {
                errors.Add($"{name} must be one of {string.Join(", ", allowed)} (got \"{(v.Length > 40 ? v[..40] + "…" : v)}\")");
                return null;
            }

            return v;
        }

        string? text = Blank(query("q"));
        if (text is { Length: > 200 })
        {
            errors.Add("q must be at most 200 characters");
            text = null;
        }

        return (new DashboardFilter(Pick("stage", AllStages), Pick("outcome", AllOutcomes), Pick("severity", Severities.All), text), errors);
    }

    static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>
/// Server-rendered operator pages: plain HTML that works without scripts, everything encoded, no
/// remote assets. One small inline script (allowed by a per-response nonce) refreshes the live
/// parts and ticks the exposure countdown.
/// </summary>
public static class DashboardPages
{
    public const string ListPath = "/api/dashboard";

    public static string IncidentPath(string id, string? key, string? done = null) =>
        WithKey($"{ListPath}/incidents/{Uri.EscapeDataString(id)}" + (done is null ? "" : $"?done={Uri.EscapeDataString(done)}"), key);

    public static string ActionPath(string id, string? key) => WithKey($"/api/incidents/{Uri.EscapeDataString(id)}/actions", key);

    public static string ManifestPath(string id, string? key) => WithKey($"/api/incidents/{Uri.EscapeDataString(id)}/evidence", key);

    /// <summary>In Azure the pages sit behind a function key; links carry it so navigation keeps working.</summary>
    static string WithKey(string path, string? key) =>
        string.IsNullOrEmpty(key) ? path : path + (path.Contains('?') ? '&' : '?') + "code=" + Uri.EscapeDataString(key);

    /// <summary>How to start an incident, for the empty dashboard.</summary>
    public const string SendHint = "./cordon send samples/alerts/critical-bribery.json";

    /// <summary>The incidents list, in the order given (most urgent first: <see cref="IncidentUrgency"/>), under a "needs you" strip.</summary>
    /// <summary>
    /// One page of the list; <paramref name="next"/> is the next page's address when the store has more. The filters apply
    /// to the page shown, so the page says so and links on (found by an attack: past the first page, a search said "no
    /// incident matches" for an incident that existed, and the next page was only in a header browsers do not show).
    /// </summary>
    public static string List(IReadOnlyList<IncidentRow> all, DashboardFilter filter, DateTime now, string? key, string nonce, OperatorPrincipal? who = null, string? next = null)
    {
        List<IncidentRow> rows = all.Where(filter.Matches).ToList();
        var b = new StringBuilder();
        SignedIn(b, who);
        b.Append("<h1>Incidents</h1><section id=\"summary\" data-live aria-label=\"Summary\"><p class=\"summary\">")
         .Append(Count(all.Count(r => r.Stage != Stages.Closed), "open")).Append(" · ")
         .Append(Count(all.Count(r => r.WaitingForOperator), "waiting for an operator")).Append(" · ")
         .Append(Count(all.Sum(r => r.PendingApprovals), "pending approvals")).Append(" · ")
         .Append(Count(all.Count(r => r.Stage == Stages.Closed), "closed")).Append("</p></section>");

        var urgent = all.Select(r => (Row: r, Why: IncidentUrgency.NeedsYou(r, now))).Where(x => x.Why is not null).ToList();
        b.Append("<section id=\"needs-you\" data-live aria-labelledby=\"h-needs\" class=\"").Append(urgent.Count > 0 ? "needs" : "calm").Append("\"><h2 id=\"h-needs\">");
        if (urgent.Count == 0)
        {
            b.Append("Nothing needs you right now</h2><p class=\"muted\">No step is waiting for an operator, no deadline is overdue or due within ")
             .Append((int)IncidentUrgency.NearDeadline.TotalHours).Append(" h, no gate has escalated.</p>");
        }
        else
        {
            b.Append("Needs you (").Append(urgent.Count).Append(")</h2><ul>");
            foreach (var (r, why) in urgent)
            {
                b.Append("<li><a href=\"").Append(E(IncidentPath(r.IncidentId, key))).Append("\">").Append(E(r.IncidentId)).Append("</a> ")
                 .Append(E(r.Subject)).Append(" <span class=\"sev sev-").Append(E(r.Severity)).Append("\">").Append(E(r.Severity)).Append("</span>: ")
                 .Append(E(why)).Append("</li>");
            }

            b.Append("</ul>");
        }

        b.Append("</section>");

        b.Append("<form class=\"filters\" method=\"get\" role=\"search\" aria-label=\"Filter incidents\">");
        Select(b, "stage", "Stage", DashboardFilter.AllStages, filter.Stage, StageLabels.Of);
        Select(b, "outcome", "Outcome", DashboardFilter.AllOutcomes, filter.Outcome, StageLabels.Outcome);
        Select(b, "severity", "Severity", Severities.All, filter.Severity, v => v);
        b.Append("<div><label for=\"q\">Search</label><input id=\"q\" name=\"q\" type=\"search\" placeholder=\"incident, subject, vendor, site\" value=\"")
         .Append(E(filter.Text)).Append("\"></div>");
        if (!string.IsNullOrEmpty(key))
        {
            b.Append("<input type=\"hidden\" name=\"code\" value=\"").Append(E(key)).Append("\">");
        }

        b.Append("<div class=\"buttons\"><button type=\"submit\">Filter</button> <a href=\"").Append(E(WithKey(ListPath, key))).Append("\">Clear</a></div></form>");

        b.Append("<table id=\"incidents\" class=\"list\" data-live><caption>").Append(rows.Count).Append(" of ").Append(all.Count).Append(" incidents, most urgent first</caption><thead><tr>")
         .Append("<th scope=\"col\">Incident</th><th scope=\"col\">Subject · site</th><th scope=\"col\">Severity</th><th scope=\"col\">Stage</th>")
         .Append("<th scope=\"col\">Waits on</th><th scope=\"col\">Nearest deadline</th><th scope=\"col\">Exposure window</th><th scope=\"col\">Contained in</th><th scope=\"col\">Age</th></tr></thead><tbody>");
        if (rows.Count == 0)
        {
            b.Append("<tr><td colspan=\"9\">").Append(all.Count == 0
                ? $"No incidents yet. Send a sample alert with <code>{E(SendHint)}</code>, or POST a RiskAlert (JSON) to <code>/api/alerts</code>."
                : next is null ? "No incident matches these filters." : "No incident on this page matches these filters; the next page may hold some.").Append("</td></tr>");
        }

        foreach (IncidentRow r in rows)
        {
            b.Append("<tr data-incident-id=\"").Append(E(r.IncidentId)).Append("\" data-tier=\"").Append(IncidentUrgency.Tier(r, now)).Append("\">")
             .Append("<th scope=\"row\" data-col=\"incident\"><a href=\"").Append(E(IncidentPath(r.IncidentId, key))).Append("\">").Append(E(r.IncidentId)).Append("</a></th>")
             .Append(Cell("subject", $"{Wrap(r.Subject)}<br><span class=\"muted small\">{E(r.VendorId)} / {E(r.SiteId)}</span>"))
             .Append(Cell("severity", $"<span class=\"sev sev-{E(r.Severity)}\">{E(r.Severity)}</span>"))
             .Append(Cell("stage", $"<span title=\"{E(StageLabels.Describe(r.Stage))}\">{E(StageLabels.Of(r.Stage))}</span>" +
                (r.Outcome is null ? "" : $"<br><span class=\"muted small\">{E(StageLabels.Outcome(r.Outcome))}</span>") +
                (r.WaitingForOperator ? " <span class=\"badge warn\">waiting for an operator</span>" : "")))
             .Append(Cell("approvals", WaitsOn(r, now)))
             .Append(Cell("deadline", r.NextDeadline is { } d ? Deadline(r.NearestDeadline, d, now) : "—"))
             .Append(r.Outcome == Outcomes.FalsePositive ? Cell("exposure", "access restored") : r.ExposureEndsBy is { } ends ? $"<td data-col=\"exposure\" data-ends=\"{Iso(ends)}\" data-short>{E(Countdown(ends, now, brief: true))}</td>" : Cell("exposure", "—"))
             .Append(Cell("contain", r.SecondsToContain is { } s ? E(Seconds(s)) : "—"))
             .Append(Cell("age", E(Duration(now - r.OpenedAt))))
             .Append("</tr>");
        }

        b.Append("</tbody></table>");
        if (next is not null)
        {
            b.Append("<p class=\"pager\">These are the first ").Append(all.Count).Append(" incidents (most urgent first); the filters apply to them. <a rel=\"next\" href=\"")
             .Append(E(next)).Append("\">Next page</a></p>");
        }

        return Shell("Incidents", b.ToString(), nonce);
    }

    /// <summary>Who the incident waits on and since when: the approvers of its open gate, or an operator.</summary>
    static string WaitsOn(IncidentRow r, DateTime now)
    {
        if (r.WaitingForOperator)
        {
            return "<strong>an operator</strong>";
        }

        if (r.Approvals is not { Count: > 0 } gates)
        {
            return r.PendingApprovals > 0 ? $"{r.PendingApprovals} approval(s)" : "—";
        }

        var b = new StringBuilder();
        foreach (PendingApproval g in gates)
        {
            string who = g.Approvers.Count <= 2 ? string.Join(", ", g.Approvers) : $"{g.Approvers[0]} and {g.Approvers.Count - 1} more";
            b.Append("<strong>").Append(E(g.Role ?? StageLabels.Gate(g.Gate))).Append("</strong>")
             .Append(g.Escalations > 0 ? " <span class=\"badge warn\">escalated</span>" : "")
             .Append("<br><span class=\"small\">").Append(Wrap(who)).Append("</span><br><span class=\"muted small\">since ")
             .Append(E(Duration(now - (g.OpenedAt ?? r.OpenedAt)))).Append(", decide in ").Append(E(Duration(g.ExpiresAt - now)))
             .Append(g.Quorum > 1 ? $", {g.Votes.Count} of {g.Quorum} votes" : "").Append("</span>");
        }

        return b.ToString();
    }

    public static string Incident(string id, string runtimeStatus, IncidentStatus s, DateTime now, string? key, string? done, string nonce, OperatorPrincipal? who = null)
    {
        bool running = runtimeStatus is "Running" or "Pending" or "Suspended";
        var b = new StringBuilder();
        SignedIn(b, who);
        b.Append("<p><a href=\"").Append(E(WithKey(ListPath, key))).Append("\">← All incidents</a></p>")
         .Append("<h1>Incident ").Append(E(id)).Append("</h1>");
        NextStep next = NextStep.Of(s, running);
        b.Append("<p id=\"next\" data-live class=\"next\"><strong>Next:</strong> ").Append(E(next.What))
         .Append(" · <strong>waits on</strong> ").Append(E(next.WaitsOn))
         .Append(next.By is { } by ? $" · <strong>by</strong> {ShortTime(by)} ({(by < now ? "overdue by " : "in ")}{E(Duration(by < now ? now - by : by - now))})" : "")
         .Append("</p>");
        if (done is not null)
        {
            b.Append("<p class=\"notice ok\" role=\"status\">").Append(E(DoneMessage(done))).Append("</p>");
        }

        b.Append("<div id=\"overview\" data-live><table class=\"facts\"><caption>Overview</caption>")
         .Append(Fact("Subject", E(s.Subject) + (s.Roster is { OnRoster: false } roster
             ? $" <span class=\"badge warn\">not on roster</span> <span class=\"muted small\">not a member of the site's directory group {E(roster.GroupId)}</span>" : "")))
         .Append(Fact("Vendor / site", E($"{s.VendorId} / {s.SiteId}")))
         .Append(Fact("Severity", $"<span class=\"sev sev-{E(s.Severity)}\">{E(s.Severity)}</span> (score {s.RiskScore.ToString("0", CultureInfo.InvariantCulture)})"))
         .Append(Fact("Stage", $"{E(StageLabels.Describe(s.Stage))} <span class=\"muted small\">({E(s.Stage)})</span>", "stage"))
         .Append(Fact("Outcome", E(s.Outcome ?? "open"), "outcome"))
         .Append(Fact("Orchestration", E(runtimeStatus)))
         .Append(Fact("Opened", $"{Time(s.OpenedAt)} ({E(Duration(now - s.OpenedAt))} ago)"))
         .Append(Fact("Alerts", E(string.Join(", ", s.AlertIds))))
         .Append(Fact("Metrics", E($"contain {Opt(s.Metrics.SecondsToContain)} · decide {Opt(s.Metrics.SecondsToDecide)} · notify {Opt(s.Metrics.SecondsToNotify)}")))
         .Append("</table>");
        if (s.WaitingForOperator is { } f)
        {
            b.Append("<p class=\"notice warn\" role=\"alert\" id=\"waiting\"><strong>Waiting for an operator:</strong> step ").Append(E(f.Step))
             .Append(" failed after its retries at ").Append(Time(f.At)).Append(": ").Append(E(f.Error)).Append("</p>");
        }

        b.Append("</div>");

        b.Append("<section id=\"containment\" data-live aria-labelledby=\"h-containment\"><h2 id=\"h-containment\">Containment</h2>");
        if (s.Containment is { } c)
        {
            b.Append("<table class=\"facts\"><caption class=\"sr\">Containment record</caption>")
             .Append(Fact("Contained at", s.ContainedAt is { } at ? Time(at) : "—"))
             .Append(Fact("Time to contain", E(Opt(s.Metrics.SecondsToContain))))
             .Append(Fact("Sign-in sessions revoked", c.SessionsRevoked ? "yes" : "no"))
             .Append(Fact("Account disabled", c.AccountDisabled ? "yes" : "no"))
             .Append(Fact("Group memberships removed", c.RemovedGroups.Count == 0 ? "none" : E(string.Join(", ", c.RemovedGroups))))
             .Append("</table>");
        }
        else
        {
            b.Append("<p>Not contained").Append(s.Stage == Stages.Closed ? "." : " (yet).").Append("</p>");
        }

        b.Append("</section>");

        b.Append("<section id=\"exposure\" data-live aria-labelledby=\"h-exposure\"><h2 id=\"h-exposure\">Residual exposure</h2>");
        if (s.Outcome == Outcomes.FalsePositive)
        {
            b.Append("<p>None to track: a false positive, the subject's access was restored.</p>");
        }
        else if (s.ExposureEndsBy is { } endsBy)
        {
            b.Append("<p>Already-issued credentials can still work until ").Append(Time(endsBy)).Append(": window <strong class=\"countdown\" data-ends=\"")
             .Append(Iso(endsBy)).Append("\" aria-live=\"off\">").Append(E(Countdown(endsBy, now))).Append("</strong>.</p>")
             .Append("<table><caption class=\"sr\">Exposure per resource</caption><thead><tr><th scope=\"col\">Resource</th><th scope=\"col\">Ends by</th><th scope=\"col\">Window</th><th scope=\"col\">Why</th></tr></thead><tbody>");
            foreach (ExposureWindow w in s.Exposure.OrderByDescending(w => w.EndsBy))
            {
                b.Append("<tr><th scope=\"row\">").Append(E(w.Resource)).Append("</th><td>").Append(Time(w.EndsBy)).Append("</td><td data-ends=\"").Append(Iso(w.EndsBy)).Append("\">")
                 .Append(E(Countdown(w.EndsBy, now))).Append("</td><td>").Append(E(w.Reason)).Append("</td></tr>");
            }

            b.Append("</tbody></table>");
        }
        else
        {
            b.Append("<p>No exposure window: the subject has not been contained.</p>");
        }

        b.Append("</section>");

        b.Append("<section id=\"gates\" data-live aria-labelledby=\"h-gates\"><h2 id=\"h-gates\">Gates and votes</h2>");
        if (s.PendingApprovals.Count == 0)
        {
            b.Append("<p>No gate is open.</p>");
        }

        foreach (PendingApproval g in s.PendingApprovals)
        {
            b.Append("<h3>").Append(E(g.Gate)).Append(" <span class=\"muted\">(").Append(E(g.GateId)).Append(")</span></h3><p>Open until ").Append(Time(g.ExpiresAt))
             .Append(" · approvers: ").Append(E(string.Join(", ", g.Approvers))).Append(" · quorum ").Append(g.Quorum).Append("</p>");
            if (g.Votes.Count > 0)
            {
                b.Append("<table><caption class=\"sr\">Votes at ").Append(E(g.Gate)).Append("</caption><thead><tr><th scope=\"col\">Approver</th><th scope=\"col\">Decision</th><th scope=\"col\">At</th><th scope=\"col\">Comment</th></tr></thead><tbody>");
                foreach (Vote v in g.Votes)
                {
                    b.Append("<tr><td>").Append(E(v.Approver)).Append("</td><td>").Append(E(v.Decision)).Append("</td><td>").Append(Time(v.At)).Append("</td><td>").Append(E(v.Comment ?? "")).Append("</td></tr>");
                }

                b.Append("</tbody></table>");
            }
            else
            {
                b.Append("<p>No votes yet.</p>");
            }
        }

        if (s.Receipts.Count > 0)
        {
            b.Append("<h3>Decision receipts</h3><ul class=\"receipts\">");
            foreach (DecisionReceipt r in s.Receipts)
            {
                b.Append("<li class=\"").Append(r.Accepted ? "ok" : "refused").Append("\">").Append(r.Accepted ? "Accepted: " : "Refused: ").Append(E(r.Message)).Append("</li>");
            }

            b.Append("</ul>");
        }

        b.Append("</section>");

        b.Append("<section id=\"deadlines\" data-live aria-labelledby=\"h-deadlines\"><h2 id=\"h-deadlines\">Deadlines</h2>");
        if (s.Deadlines.Count == 0)
        {
            b.Append("<p>No regulatory clock running.</p>");
        }
        else
        {
            b.Append("<table><caption class=\"sr\">Regulatory and contract deadlines</caption><thead><tr><th scope=\"col\">Deadline</th><th scope=\"col\">Client</th><th scope=\"col\">Due</th><th scope=\"col\">Clock from</th><th scope=\"col\">Status</th></tr></thead><tbody>");
            foreach (Deadline d in s.Deadlines.OrderBy(d => d.DueAt))
            {
                b.Append("<tr><th scope=\"row\">").Append(E(d.Name)).Append("</th><td>").Append(E(d.Client)).Append("</td><td>").Append(Time(d.DueAt)).Append("</td><td>")
                 .Append(E(d.ClockStart.Name())).Append("</td><td data-col=\"deadline-status\">").Append(DeadlineStatus(d, now)).Append("</td></tr>");
            }

            b.Append("</tbody></table>");
        }

        b.Append("</section>");

        b.Append("<section id=\"evidence\" aria-labelledby=\"h-evidence\"><h2 id=\"h-evidence\">Evidence</h2><p><a href=\"").Append(E(ManifestPath(id, key)))
         .Append("\">Evidence manifest (JSON: items, SHA-256 hashes, custody check)</a>")
         .Append(s.ReportName is null ? "" : $" · incident report stored as <code>{E(s.ReportName)}</code>").Append("</p></section>");

        b.Append("<section id=\"timeline\" data-live aria-labelledby=\"h-timeline\"><h2 id=\"h-timeline\">Timeline</h2><table><caption class=\"sr\">What happened, oldest first</caption>")
         .Append("<thead><tr><th scope=\"col\">At</th><th scope=\"col\">Step</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
        foreach (TimelineEntry t in s.Timeline)
        {
            b.Append("<tr><td>").Append(Time(t.At)).Append("</td><td>").Append(E(t.Step)).Append("</td><td>").Append(E(t.Detail)).Append("</td></tr>");
        }

        b.Append("</tbody></table></section>");

        b.Append("<section id=\"actions\" data-live aria-labelledby=\"h-actions\"><h2 id=\"h-actions\">Operator actions</h2>");
        if (!running && runtimeStatus == nameof(OrchestrationRuntimeStatus.Failed) && who is not { CanAct: false })
        {
            b.Append("<p>The incident's workflow failed: nothing more happens on its own. Once the cause is fixed, restart it: it runs again from the start ")
             .Append("under the same id with the same alert; steps already done are found done, and the gates ask their approvers again.</p>");
            ActionForm(b, id, key, OperatorActions.Restart, "Restart the incident", "Restart incident", null);
        }
        else if (!running)
        {
            b.Append("<p>The incident is ").Append(E(runtimeStatus.ToLowerInvariant())).Append(": no action can change it.</p>");
        }
        else if (who is { CanAct: false })
        {
            b.Append("<p id=\"view-only\">You can view this incident; acting on it needs the app role ").Append(E(OperatorRoles.Operator)).Append(".</p>");
        }
        else
        {
            b.Append("<p class=\"muted\">Every action goes on the timeline with your name (").Append(E(who?.Display)).Append(") and reason.</p>");
            if (s.WaitingForOperator is { } failed)
            {
                ActionForm(b, id, key, "retry", $"Retry the failed step ({failed.Step})", "Retry step", null);
            }

            if (s.PendingApprovals.Count > 0)
            {
                ActionForm(b, id, key, "decide", $"Record a decision at the open gate ({s.PendingApprovals[0].Gate})", "Record decision",
                    "<div><label for=\"decide-decision\">Decision</label><select id=\"decide-decision\" name=\"decision\" required><option value=\"approve\">approve</option><option value=\"reject\">reject</option></select></div>");
            }

            ActionForm(b, id, key, "close", "Close the incident with a reason (it stays contained; evidence is kept)", "Close incident", null);
        }

        b.Append("</section>");
        return Shell($"Incident {id}", b.ToString(), nonce);
    }

    public static string ActionRefused(string id, string? key, IReadOnlyList<string> errors)
    {
        var b = new StringBuilder("<h1>Action refused</h1><p class=\"notice warn\" role=\"alert\">Nothing was changed:</p><ul>");
        foreach (string e in errors)
        {
            b.Append("<li>").Append(E(e)).Append("</li>");
        }

        b.Append("</ul><p><a href=\"").Append(E(IncidentPath(id, key))).Append("\">Back to the incident</a></p>");
        return Shell("Action refused", b.ToString(), nonce: null);
    }

    /// <summary>Who is signed in, with a way out (the platform's sign-out; the local host serves the same path).</summary>
    static void SignedIn(StringBuilder b, OperatorPrincipal? who)
    {
        if (who is null)
        {
            return;
        }

        b.Append("<p class=\"signed-in muted\" id=\"signed-in\">Signed in as <strong>").Append(E(who.Display)).Append("</strong> · ").Append(E(who.Role))
         .Append(" · <a href=\"/.auth/logout?post_logout_redirect_uri=").Append(E(Uri.EscapeDataString(ListPath))).Append("\">Sign out</a></p>");
    }

    /// <summary>401/403: nobody signed in, or signed in without a Cordon role; sign-in comes back to <paramref name="returnPath"/>.</summary>
    public static string SignInNeeded(string reason, string returnPath)
    {
        string back = returnPath.StartsWith('/') && !returnPath.StartsWith("//", StringComparison.Ordinal) ? returnPath : ListPath;
        var b = new StringBuilder("<h1>Sign in</h1><p class=\"notice warn\" role=\"alert\">").Append(E(reason)).Append("</p>")
            .Append("<p><a id=\"sign-in\" href=\"/.auth/login/aad?post_login_redirect_uri=").Append(E(Uri.EscapeDataString(back))).Append("\">Sign in</a></p>");
        return Shell("Sign in", b.ToString(), nonce: null);
    }

    public static string Refused(string title, IReadOnlyList<string> errors, string? key)
    {
        var b = new StringBuilder("<h1>").Append(E(title)).Append("</h1><ul>");
        foreach (string e in errors)
        {
            b.Append("<li>").Append(E(e)).Append("</li>");
        }

        b.Append("</ul><p><a href=\"").Append(E(WithKey(ListPath, key))).Append("\">All incidents</a></p>");
        return Shell(title, b.ToString(), nonce: null);
    }

    static void ActionForm(StringBuilder b, string id, string? key, string action, string legend, string button, string? extra)
    {
        b.Append("<form method=\"post\" class=\"action\" data-action=\"").Append(action).Append("\" action=\"").Append(E(ActionPath(id, key))).Append("\"><fieldset><legend>")
         .Append(E(legend)).Append("</legend><input type=\"hidden\" name=\"action\" value=\"").Append(action).Append("\">")
         .Append(extra)
         .Append("<div><label for=\"").Append(action).Append("-reason\">Reason</label><input id=\"").Append(action).Append("-reason\" name=\"reason\" type=\"text\" required maxlength=\"1000\"></div>")
         .Append("<div class=\"buttons\"><button type=\"submit\"").Append(action == OperatorActions.Close ? " class=\"danger\"" : "").Append('>').Append(E(button)).Append("</button></div></fieldset></form>");
    }

    static string DoneMessage(string done) => done switch
    {
        OperatorActions.Retry => "Retry requested: the incident runs the failed step again in a moment.",
        OperatorActions.Decide => "Decision sent: the incident records it at the open gate.",
        OperatorActions.Close => "Close requested: the incident closes in a moment.",
        OperatorActions.Restart => "Restarted: the incident runs again from the start in a moment.",
        _ => "Action sent.",
    };

    static string DeadlineStatus(Deadline d, DateTime now) => d.MetAt switch
    {
        { } met when met <= d.DueAt => $"<span class=\"badge ok\">met</span> {Time(met)}",
        { } met => $"<span class=\"badge bad\">missed</span> met late {Time(met)}",
        null when d.DueAt < now => $"<span class=\"badge bad\">missed</span> overdue by {E(Duration(now - d.DueAt))}",
        _ => $"<span class=\"badge\">open</span> due in {E(Duration(d.DueAt - now))}",
    };

    static string Deadline(Deadline? d, DateTime due, DateTime now) =>
        (d is null ? "" : $"<strong>{E(d.Name)}</strong> <span class=\"small\">{E(d.Client)}</span><br>") +
        (due < now
            ? $"<span class=\"badge bad\">overdue {E(Duration(now - due))}</span>"
            : $"in {E(Duration(due - now))}") +
        $"<br><span class=\"muted small\">{ShortTime(due)}</span>";

    static string ShortTime(DateTime t) => $"<time datetime=\"{Iso(t)}\">{E(Notification.MailLayout.Time(t))}</time>";

    /// <summary>The same wording the page script keeps ticking.</summary>
    public static string Countdown(DateTime endsBy, DateTime now, bool brief = false)
    {
        if (endsBy <= now)
        {
            return "closed";
        }

        TimeSpan t = endsBy - now;
        string left = t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min {t.Seconds} s" : Duration(t);
        return brief ? left + " left" : "open, ends in " + left;
    }

    public static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero)
        {
            t = TimeSpan.Zero;
        }

        return t.TotalDays >= 2 ? $"{(int)t.TotalDays} d {t.Hours} h"
            : t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min"
            : t.TotalMinutes >= 1 ? $"{t.Minutes} min {t.Seconds} s"
            : $"{t.Seconds} s";
    }

    static string Seconds(double s) => s < 60 ? s.ToString("0.00", CultureInfo.InvariantCulture) + " s" : Duration(TimeSpan.FromSeconds(s));

    static string Opt(double? s) => s is { } v ? Seconds(v) : "—";

    static string Time(DateTime t) => $"<time datetime=\"{Iso(t)}\">{t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC</time>";

    static string Iso(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    static string Count(int n, string what) => $"<strong>{n}</strong> {what}";

    static string Cell(string col, string html) => $"<td data-col=\"{col}\">{html}</td>";

    static string Fact(string label, string html, string? col = null) =>
        $"<tr><th scope=\"row\">{E(label)}</th><td{(col is null ? "" : $" data-col=\"{col}\"")}>{html}</td></tr>";

    static void Select(StringBuilder b, string name, string label, IReadOnlyList<string> values, string? selected, Func<string, string> text)
    {
        b.Append("<div><label for=\"").Append(name).Append("\">").Append(label).Append("</label><select id=\"").Append(name).Append("\" name=\"").Append(name).Append("\"><option value=\"\">any</option>");
        foreach (string v in values)
        {
            b.Append("<option value=\"").Append(E(v)).Append('"').Append(v == selected ? " selected" : "").Append('>').Append(E(text(v))).Append("</option>");
        }

        b.Append("</select></div>");
    }

    static string Shell(string title, string body, string? nonce) => new StringBuilder()
        .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">")
        .Append("<meta name=\"robots\" content=\"noindex\"><link rel=\"icon\" href=\"data:,\"><title>").Append(E(title)).Append(" · Cordon</title><style>")
        .Append("body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;background:#f3f4f6;color:#111827;margin:0;font-size:15px}")
        .Append("header{background:#1e293b;color:#fff;padding:.75rem 1.5rem;font-size:.85rem;letter-spacing:.08em}")
        .Append("main{max-width:96rem;margin:1rem auto;padding:0 1rem}.small{font-size:.82rem}.next{font-size:1.05rem;background:#fff;border-left:4px solid #1d4ed8;padding:.5rem .8rem}h1{font-size:1.4rem;margin:.6rem 0}h2{font-size:1.1rem;margin:1.4rem 0 .4rem}h3{font-size:1rem;margin:.8rem 0 .2rem}")
        .Append("table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e5e7eb;margin:.4rem 0}th,td{text-align:left;padding:.4rem .45rem;border-bottom:1px solid #e5e7eb;vertical-align:top}")
        .Append("thead th{background:#f9fafb;font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#374151}caption{text-align:left;padding:.3rem 0;color:#4b5563;caption-side:top}")
        .Append("table.list td{overflow-wrap:break-word}table.list thead th{white-space:nowrap}[data-col=severity]{white-space:nowrap}#needs-you{padding:.4rem .9rem;border-radius:6px;margin:.4rem 0 .8rem;background:#fff}#needs-you.needs{border-left:5px solid #b91c1c;background:#fef2f2}#needs-you.calm{border-left:5px solid #15803d}#needs-you h2{margin:.3rem 0}#needs-you ul{margin:.2rem 0 .4rem;padding-left:1.2rem}")
        .Append(".nw,[data-col=incident],[data-col=age],[data-col=contain],[data-col=exposure]{white-space:nowrap;overflow-wrap:normal}.facts th{width:14rem;color:#374151}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}")
        .Append(".filters{display:flex;gap:.8rem;flex-wrap:wrap;align-items:flex-end;background:#fff;border:1px solid #e5e7eb;padding:.6rem .8rem;border-radius:6px}")
        .Append("label{display:block;font-size:.8rem;color:#374151;margin-bottom:.15rem}input,select{font:inherit;padding:.3rem}button{font:inherit;font-weight:600;padding:.4rem .9rem;border:0;border-radius:5px;background:#1d4ed8;color:#fff;cursor:pointer}")
        .Append("button.danger{background:#b91c1c}a{color:#1d4ed8}.muted{color:#4b5563}.summary{margin:.2rem 0 .8rem}.badge{display:inline-block;padding:.05rem .4rem;border-radius:4px;font-size:.8rem;background:#e5e7eb}")
        .Append(".badge.ok{background:#dcfce7;color:#14532d}.badge.bad{background:#fee2e2;color:#7f1d1d}.badge.warn{background:#fef3c7;color:#78350f}")
        .Append(".sev{font-weight:600}.sev-critical{color:#991b1b}.sev-high{color:#9a3412}.sev-medium{color:#854d0e}.sev-low{color:#374151}")
        .Append(".notice{padding:.6rem .8rem;border-radius:6px}.notice.ok{background:#dcfce7}.notice.warn{background:#fef3c7}.ok{color:#14532d}.refused{color:#7f1d1d}")
        .Append(".countdown{color:#9a3412}fieldset{background:#fff;border:1px solid #e5e7eb;border-radius:6px;margin:.6rem 0;display:flex;gap:.8rem;flex-wrap:wrap;align-items:flex-end}legend{font-weight:600}")
        .Append("</style></head><body><header>CORDON · INSIDER-RISK RESPONSE · OPERATIONS</header><main>").Append(body).Append("</main>")
        .Append(nonce is null ? "" : $"<script nonce=\"{nonce}\">{Script}</script>")
        .Append("</body></html>").ToString();

    /// <summary>Ticks every countdown each second; every 5 s swaps in the live sections unless the operator is typing.</summary>
    const string Script = """
        (function(){
        function dur(ms){var s=Math.floor(ms/1000),d=Math.floor(s/86400),h=Math.floor(s/3600),m=Math.floor(s%3600/60),r=s%60;
        return s>=172800?d+' d '+(h%24)+' h':h>=1?h+' h '+m+' min':m>=1?m+' min '+r+' s':r+' s';}
        function left(ms){var s=Math.floor(ms/1000);return s>=3600?Math.floor(s/3600)+' h '+Math.floor(s%3600/60)+' min '+(s%60)+' s':dur(ms);}
        function tick(){document.querySelectorAll('[data-ends]').forEach(function(el){var ms=Date.parse(el.getAttribute('data-ends'))-Date.now();
        el.textContent=ms<=0?'closed':el.hasAttribute('data-short')?left(ms)+' left':'open, ends in '+left(ms);});}
        function busy(){var a=document.activeElement;if(a&&/^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName))return true;
        return Array.prototype.some.call(document.querySelectorAll('form[method=post] input[type=text]'),function(i){return i.value!=='';});}
        function refresh(){if(document.hidden||busy())return;fetch(location.href,{cache:'no-store'}).then(function(r){return r.ok?r.text():null;}).then(function(t){
        if(!t)return;var doc=new DOMParser().parseFromString(t,'text/html');document.querySelectorAll('[data-live]').forEach(function(el){
        var n=doc.getElementById(el.id);if(n)el.replaceWith(document.importNode(n,true));});tick();}).catch(function(){});}
        setInterval(tick,1000);setInterval(refresh,5000);tick();
        })();
        """;

    static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    /// <summary>Encoded, with a line-break opportunity after each @ so an address wraps between its parts.</summary>
    static string Wrap(string? s) => E(s).Replace("@", "@<wbr>", StringComparison.Ordinal);
}
