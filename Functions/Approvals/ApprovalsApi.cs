using Cordon.Policy;
using System.Globalization;
using System.Text;
using Cordon.Incidents;
using Cordon.Monitoring;
using Microsoft.AspNetCore.Mvc;
using static Cordon.Approvals.ApprovalPages;

namespace Cordon.Approvals;

/// <summary>
/// The approval link endpoints. Anonymous, but bound to a signed token. GET only shows the decision
/// (mail scanners prefetch every link); POST raises the decision into the incident, which is the
/// source of truth, and the page reports what the incident did with it.
/// </summary>
public sealed class ApprovalsApi(ApprovalTokens tokens, TimeProvider time, CordonMetrics metrics, IOptions<WorldOptions> world)
{
    /// <summary>The HTTP route (under /api), declared once for the Functions host and the local host.</summary>
    public const string Route = "approvals/{token}";

    const int MaxCommentLength = 1000;
    static readonly TimeSpan ReceiptWait = TimeSpan.FromSeconds(15);
    /// <summary>How long a link waits for its gate to show on the incident's status (see <see cref="CheckAsync"/>).</summary>
    static readonly TimeSpan GateShowWait = TimeSpan.FromSeconds(5);

    [Function("ShowApproval")]
    public async Task<IActionResult> Show(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string token)
    {
        // Anonymous, yet it shows the agent's name and sign-in name: never cached, framed or sent on as a referrer.
        Dashboard.PageHeaders(request);
        var (claims, _, refusal, metadata) = await CheckAsync(token, client, request.HttpContext.RequestAborted);
        if (refusal is not null)
        {
            return refusal;
        }

        IncidentStatus s = IncidentQueries.StatusOf(metadata!);
        PendingApproval gate = s.PendingApprovals.First(p => p.GateId == claims!.GateId);
        IncidentInput? input = metadata!.SerializedInput is null ? null : metadata.ReadInputAs<IncidentInput>();
        var b = new StringBuilder();
        b.Append("<p>").Append(E(GateIntro(gate.Gate))).Append("</p><table>")
         .Append(Row("Incident", metadata.InstanceId))
         .Append(Row("Agent", input?.Alert.Subject.DisplayName is { } n ? $"{n} ({s.Subject})" : s.Subject))
         .Append(Row("Vendor / site", $"{s.VendorId} / {s.SiteId}"))
         .Append(Row("Severity", $"{s.Severity} (score {s.RiskScore.ToString("0", CultureInfo.InvariantCulture)})"))
         .Append(Row("Indicators", input is null ? "—" : string.Join("; ", input.Alert.Indicators.Select(i => i.Count is null ? $"{i.Kind}: {i.Detail}" : $"{i.Kind} ×{i.Count}: {i.Detail}"))))
         .Append(Row("Already done", s.Containment is null ? "No containment yet." : $"Sessions revoked, account disabled, {s.Containment.RemovedGroups.Count} group memberships removed at {(s.ContainedAt is { } c ? Notification.MailLayout.Time(c) : "—")}."));
        foreach (var (label, value) in ApprovalFacts.Proposal(gate.Proposal).Concat(ApprovalFacts.Timing(gate.ExpiresAt, claims!.ExpiresAt.UtcDateTime)))
        {
            b.Append(Row(label.Trim(), value, indent: label.StartsWith(' ')));
        }

        b.Append(gate.Quorum > 1 ? Row("Approvals", $"{gate.Votes.Count(v => v.Decision != Decisions.Reject)} of {gate.Quorum} distinct approvers so far") : "")
         .Append("</table>");
        if (gate.Proposal?.NoticeText is { } notice)
        {
            b.Append("<h2>The notice as it will be sent</h2><p class=\"note\">As the first client above reads it; each client's copy carries its own name and deadlines.</p><pre class=\"notice\">").Append(E(notice.TrimEnd())).Append("</pre>");
        }

        b.Append("<h2>What each choice does</h2><ul>")
         .Append("<li><strong>Approve</strong>: ").Append(E(ApproveMeans(gate.Gate))).Append("</li>")
         .Append("<li><strong>Reject</strong>: ").Append(E(RejectMeans(gate.Gate))).Append("</li>");
        if (gate.Gate == Gates.Confirm)
        {
            b.Append("<li><strong>Approve and propose vendor offboarding</strong>: as approve, and asks two approvers to offboard the whole vendor site.</li>");
        }

        b.Append("</ul><form method=\"post\"><label for=\"comment\">Comment (optional, goes on the incident timeline)</label>")
         .Append("<textarea id=\"comment\" name=\"comment\" maxlength=\"").Append(MaxCommentLength).Append("\"></textarea><div class=\"choices\">")
         .Append("<button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>")
         .Append("<button class=\"reject\" type=\"submit\" name=\"decision\" value=\"reject\">Reject</button>");
        if (gate.Gate == Gates.Confirm)
        {
            b.Append("<button class=\"escalate\" type=\"submit\" name=\"decision\" value=\"escalate\">Approve and propose vendor offboarding</button>");
        }

        b.Append("</div></form><p class=\"note\">Opening this page decided nothing. Your decision is recorded only when you press a button.</p>");
        return Page(StatusCodes.Status200OK, SendApprovalRequests.GateTitle(gate.Gate), b.ToString());
    }

    [Function("DecideApproval")]
    public async Task<IActionResult> Decide(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string token)
    {
        Dashboard.PageHeaders(request); // as Show: the answer names the gate and the decision
        CancellationToken ct = request.HttpContext.RequestAborted;
        var (claims, approverHash, refusal, metadata) = await CheckAsync(token, client, ct);
        if (refusal is not null)
        {
            return refusal;
        }

        PendingApproval gate = IncidentQueries.StatusOf(metadata!).PendingApprovals.First(p => p.GateId == claims!.GateId);

        string? decision = null, comment = null;
        if (request.HasFormContentType)
        {
            var (form, unreadable) = await Cordon.Alerts.Problems.ReadFormAsync(request, ct);
            if (form is null)
            {
                return Message(StatusCodes.Status400BadRequest, "Decision not understood", $"The form could not be read ({unreadable}); nothing was changed.", "refused");
            }

            decision = form["decision"].ToString();
            comment = form["comment"].ToString();
        }

        if (!Decisions.IsValid(decision))
        {
            return Message(StatusCodes.Status400BadRequest, "Decision not understood", "Choose approve or reject on the confirmation page; nothing was changed.", "refused");
        }

        if (!Decisions.IsOfferedAt(decision, gate.Gate))
        {
            return Message(StatusCodes.Status400BadRequest, "Decision not offered at this gate", Decisions.EscalateOnlyAtConfirm, "refused");
        }

        // As an operator's reason is (found by an attack: a comment's direction overrides and terminal escapes reached the
        // timeline and the receipt mail).
        if (comment is not null && FreeText.HidesOrReordersText(comment))
        {
            return Message(StatusCodes.Status400BadRequest, "Comment not accepted", "The comment must not contain control or text-direction characters; nothing was changed.", "refused");
        }

        comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim()[..Math.Min(comment.Trim().Length, MaxCommentLength)];
        string decisionId = Guid.NewGuid().ToString("N");
        DateTime decidedAt = time.GetUtcNow().UtcDateTime;
        await client.RaiseEventAsync(claims!.IncidentId, IncidentEvents.Decision,
            new ApprovalDecision(decisionId, claims.GateId, approverHash!, decision!, comment, decidedAt), ct);

        // The orchestration answers every decision with a receipt on its status.
        DecisionReceipt? ReceiptOf(OrchestrationMetadata m) => IncidentQueries.StatusOf(m).Receipts.FirstOrDefault(r => r.DecisionId == decisionId);
        OrchestrationMetadata? answered = await ReadUntilAsync(client, claims.IncidentId, null, read => ReceiptOf(read) is not null || Ended(read), ReceiptWait, ct);
        if (answered is not null && ReceiptOf(answered) is { } receipt)
        {
            if (receipt.Accepted && gate.OpenedAt is { } openedAt)
            {
                metrics.GateDecided(gate.Gate, decision!, decidedAt - openedAt);
            }

            return receipt.Accepted
                ? Message(StatusCodes.Status200OK, "Decision recorded", receipt.Message, "ok")
                : Message(StatusCodes.Status409Conflict, "Decision not recorded", receipt.Message, "refused");
        }

        if (answered is not null && Ended(answered))
        {
            return Message(StatusCodes.Status409Conflict, "Incident closed", "This incident closed before your decision reached it; nothing was changed.", "refused");
        }

        return Message(StatusCodes.Status202Accepted, "Decision delivered", "Your decision was delivered to the incident, which has not confirmed it yet. Check the incident before deciding again.");
    }

    /// <summary>
    /// The link's claims and its approver as the incident knows them (<see cref="ApproverIdentity.Hash"/> of the gate's
    /// approver the link names, what a decision carries), or the page refusing it.
    /// </summary>
    async Task<(ApprovalClaims? Claims, string? ApproverHash, IActionResult? Refusal, OrchestrationMetadata? Metadata)> CheckAsync(string token, DurableTaskClient client, CancellationToken ct)
    {
        TokenCheck check = tokens.Read(token);
        switch (check.Problem)
        {
            case TokenProblem.Malformed or TokenProblem.BadSignature:
                return (null, null, Message(StatusCodes.Status403Forbidden, "Link not valid", "This approval link is not valid: it was altered, truncated or not issued by Cordon. Nothing was changed.", "refused"), null);
            case TokenProblem.Expired:
                return (null, null, Message(StatusCodes.Status410Gone, "Link expired", "This approval link has expired. If the decision is still open, a newer e-mail holds a current link. Nothing was changed.", "refused"), null);
        }

        ApprovalClaims claims = check.Claims!;
        OrchestrationMetadata? m = await client.GetInstanceAsync(claims.IncidentId, getInputsAndOutputs: true, ct);
        if (m is null)
        {
            return (null, null, Message(StatusCodes.Status404NotFound, "Unknown incident", "The incident this link refers to does not exist. Nothing was changed.", "refused"), null);
        }

        // An incident not yet past the link's gate gets a few seconds to show it (see LinkGateWait).
        m = await ReadUntilAsync(client, claims.IncidentId, m,
            read => LinkGateWait.Settled(read.RuntimeStatus, IncidentQueries.StatusOf(read), claims.GateId), GateShowWait, ct);
        if (m is null)
        {
            return (null, null, Message(StatusCodes.Status404NotFound, "Unknown incident", "The incident this link refers to does not exist. Nothing was changed.", "refused"), null);
        }

        IncidentStatus s = IncidentQueries.StatusOf(m);
        PendingApproval? gate = s.PendingApprovals.FirstOrDefault(p => p.GateId == claims.GateId);
        if (gate is null || Ended(m))
        {
            return (null, null, Message(StatusCodes.Status409Conflict, "Decision closed", $"This decision is no longer open (the incident is at {s.Stage}{(s.Outcome is null ? "" : ", " + s.Outcome)}). Nothing was changed.", "refused"), m);
        }

        // The link names its approver by a keyed hash (or, mailed before, the unkeyed one): which current approver is it?
        if (gate.Approvers.FirstOrDefault(check.Names) is not { } approver)
        {
            return (null, null, Message(StatusCodes.Status403Forbidden, "Not an approver", "This link does not belong to a current approver of this decision. Nothing was changed.", "refused"), m);
        }

        // The incident asks the approvers of the world it was triaged under; one since removed from the world (found bribed,
        // gone from the company) no longer decides it (found by an attack: a removed security lead's old link restored the
        // subject's access and closed the incident). Someone moved to another approver role still does.
        if (world.Value.World.ApproverRoleOf([approver]) is null)
        {
            return (null, null, Message(StatusCodes.Status403Forbidden, "No longer an approver",
                "You are no longer listed as an approver in Cordon's configuration, so this link no longer decides. Nothing was changed.", "refused"), m);
        }

        string approverHash = ApproverIdentity.Hash(approver);
        if (gate.Votes.Any(v => ApproverIdentity.Hash(v.Approver) == approverHash))
        {
            return (null, null, Message(StatusCodes.Status409Conflict, "Already decided", "You have already decided at this gate. A second decision changes nothing.", "refused"), m);
        }

        return (claims, approverHash, null, m);
    }

    static bool Ended(OrchestrationMetadata m) => LinkGateWait.HasEnded(m.RuntimeStatus);

    /// <summary>
    /// The incident as read every 100 ms until <paramref name="settled"/> holds or <paramref name="atMost"/> has passed
    /// (<paramref name="first"/>, when given, is the first read); null once the incident is gone.
    /// </summary>
    async Task<OrchestrationMetadata?> ReadUntilAsync(DurableTaskClient client, string incidentId, OrchestrationMetadata? first,
        Func<OrchestrationMetadata, bool> settled, TimeSpan atMost, CancellationToken ct)
    {
        DateTimeOffset until = time.GetUtcNow() + atMost;
        OrchestrationMetadata? m = first ?? await client.GetInstanceAsync(incidentId, getInputsAndOutputs: true, ct);
        while (m is not null && !settled(m) && time.GetUtcNow() < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            m = await client.GetInstanceAsync(incidentId, getInputsAndOutputs: true, ct);
        }

        return m;
    }

    static string Row(string label, string value, bool indent = false) =>
        $"<tr{(indent ? " class=\"sub\"" : "")}><th scope=\"row\">{E(label)}</th><td>{E(value)}</td></tr>";

    static string GateIntro(string gate) => gate switch
    {
        Gates.Confirm => "An insider-risk alert was raised about an agent of an outsourced support site. Confirm whether this is an insider incident.",
        Gates.Notify => "The insider incident is confirmed. Approve sending the notice to the affected clients.",
        Gates.VendorOffboarding => "Offboarding the whole vendor site is proposed. Two distinct approvers must agree.",
        _ => "A decision is needed.",
    };

    static string ApproveMeans(string gate) => gate switch
    {
        Gates.Confirm => "the agent's access is revoked permanently, the site team is assigned anti-bribery training, and client notification starts.",
        Gates.Notify => "the notice is sent to every affected client now, and proof of delivery is recorded.",
        Gates.VendorOffboarding => "every account of the site and the vendor's credentials are revoked and the vendor is notified.",
        _ => "the incident moves on.",
    };

    static string RejectMeans(string gate) => gate switch
    {
        Gates.Confirm => "a false positive: exactly what containment removed is restored and the incident closes; evidence is kept.",
        Gates.Notify => "no notice is sent; the deadlines stay on the record.",
        Gates.VendorOffboarding => "the site keeps working with the vendor.",
        _ => "the incident does not move on.",
    };
}
