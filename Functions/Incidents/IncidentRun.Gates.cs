using Cordon.Approvals;
using Cordon.Monitoring;
using Cordon.Policy;
using Microsoft.DurableTask;

namespace Cordon.Incidents;

internal enum GateOutcome { Approved, Rejected, Expired }

internal sealed record GateResult(GateOutcome Outcome, IReadOnlyList<Vote> Votes, bool Escalate);

internal sealed partial class IncidentRun
{
    /// <summary>
    /// A human decision point. Asks each role of the chain in turn (escalating on each step timeout),
    /// and enforces the rules here, in the orchestration, the source of truth: only current approvers
    /// count, the subject never decides their own incident, a quorum needs distinct people, and every
    /// refused attempt is answered and changes nothing.
    /// </summary>
    async Task<GateResult> RunGateAsync(string gate, GatePolicy gatePolicy, List<DateTime>? reminders, GateProposal? proposal = null)
    {
        string gateId = $"{gate}-{++gateCounter}";
        DateTime openedAt = Now;
        string subjectHash = ApproverIdentity.Hash(status.Subject);
        var eligible = new Dictionary<string, string>(StringComparer.Ordinal); // hash → e-mail
        var votes = new Dictionary<string, Vote>(StringComparer.Ordinal);
        bool escalate = false;
        string gateSeverity = status.Severity;

        for (int step = 0; step < gatePolicy.Chain.Count; step++)
        {
            string role = gatePolicy.Chain[step];
            if (step > 0 && !gatePolicy.EarlierLinksStayValid)
            {
                eligible.Clear();
            }

            var asked = new List<string>();
            foreach (string approver in Plan.Approvers.TryGetValue(role, out var list) ? list : [])
            {
                string hash = ApproverIdentity.Hash(approver);
                if (hash == subjectHash)
                {
                    Record("approver skipped", $"{role} {approver} is the subject of this incident and cannot decide it");
                    continue;
                }

                if (eligible.TryAdd(hash, approver))
                {
                    asked.Add(approver);
                }
            }

            DateTime stepEnds = Now + gatePolicy.StepTimeout;
            // A link works until the gate's last possible moment (or this step's end when earlier links lapse).
            DateTime linkExpiry = gatePolicy.EarlierLinksStayValid
                ? Now + gatePolicy.StepTimeout * (gatePolicy.Chain.Count - step)
                : stepEnds;
            openGate = new PendingApproval(gateId, gate, eligible.Values.ToList(), stepEnds, gatePolicy.Quorum, votes.Values.ToList(), openedAt, role, step, proposal);
            Publish(); // the gate is open before any link to it is mailed: a fast approver never finds it closed

            if (asked.Count == 0)
            {
                Record(step == 0 ? "gate opened" : "escalated", $"{gate}: no eligible approver in role {role}");
            }
            else
            {
                await StepAsync(nameof(SendApprovalRequests), () => context.CallActivityAsync<int>(nameof(SendApprovalRequests),
                    new ApprovalRequest(IncidentId, gateId, gate, role, asked, linkExpiry, step > 0, Summary(), proposal, stepEnds), Retry()));
                Record(step == 0 ? "gate opened" : "escalated",
                    $"{gate}: asked {role} ({string.Join(", ", asked)}) until {stepEnds:u}" + (gatePolicy.Quorum > 1 ? $"; {gatePolicy.Quorum} distinct approvers needed" : ""));
            }

            while (true)
            {
                // Alerts taken since the last look (here, while mailing, or by a step running alongside).
                if (Alerts.Severities.Rank(status.Severity) > Alerts.Severities.Rank(gateSeverity))
                {
                    gateSeverity = status.Severity;
                    // A higher severity shortens the wait: half of what is left of this step.
                    DateTime shorter = Now + (stepEnds - Now) / 2;
                    if (shorter < stepEnds)
                    {
                        stepEnds = shorter;
                        openGate = openGate! with { ExpiresAt = stepEnds };
                        Record("timeout shortened", $"{gate}: severity rose to {status.Severity}; this step now ends {stepEnds:u}");
                    }
                }

                if (containment is null && SeverityCallsForContainment)
                {
                    string stage = status.Stage;
                    await ContainAsync();
                    SetStage(stage);
                }

                DateTime? nextReminder = reminders?.Where(r => r > Now).DefaultIfEmpty().Min();
                DateTime wakeAt = nextReminder is { } r0 && r0 != default && r0 < stepEnds ? r0 : stepEnds;
                Wake wake = await NextAsync(wakeAt);

                if (wake.Kind == WakeKind.Timeout)
                {
                    if (Now >= stepEnds)
                    {
                        break; // escalate to the next role
                    }

                    await SendDueRemindersAsync(gateId, eligible.Values.ToList(), reminders!);
                    continue;
                }

                if (wake.Kind == WakeKind.Merge)
                {
                    continue; // taken (by whichever waiter saw it); the loop's top reacts to the severity it left
                }

                if (wake.Kind == WakeKind.Operator)
                {
                    OperatorAction action = wake.Action!;
                    if (action.Action == OperatorActions.Close)
                    {
                        openGate = null;
                        throw new IncidentClosedByOperator(action.Operator, action.Reason);
                    }

                    if (action.Action == OperatorActions.Decide && action.Decision is Decisions.Approve or Decisions.Reject)
                    {
                        // An operator's decision is one vote of one person: a quorum still needs distinct people,
                        // whether they answer by link or from the dashboard, and the subject never decides.
                        string voter = ApproverIdentity.Hash(action.OperatorId ?? action.Operator);
                        string? refused = voter == subjectHash ? "the subject of an incident can never decide it"
                            : votes.ContainsKey(voter) ? $"{action.Operator} has already decided at this gate; a quorum needs distinct people"
                            : null;
                        if (refused is not null)
                        {
                            Record("operator action refused", $"{gate}: {refused}");
                            continue;
                        }

                        votes[voter] = new Vote($"operator:{action.Operator}", action.Decision, Now, action.Reason);
                        int approvedBy = votes.Values.Count(v => v.Decision is Decisions.Approve or Decisions.Escalate);
                        if (action.Decision == Decisions.Approve && approvedBy < gatePolicy.Quorum)
                        {
                            openGate = openGate! with { Votes = votes.Values.ToList() };
                            Record("operator vote", $"{gate}: {action.Operator} approved; {gatePolicy.Quorum - approvedBy} more distinct approver(s) needed. {action.Reason}".TrimEnd());
                            continue;
                        }

                        Record("operator decision", $"{gate}: {action.Operator} decided {action.Decision}. {action.Reason}".TrimEnd());
                        openGate = null;
                        return new GateResult(action.Decision == Decisions.Approve ? GateOutcome.Approved : GateOutcome.Rejected, votes.Values.ToList(), escalate);
                    }

                    Record("operator action refused", $"{action.Action}: not applicable while waiting at gate {gate}");
                    continue;
                }

                ApprovalDecision d = wake.Decision!;
                string? refusal =
                    d.GateId != gateId ? "This approval link belongs to a gate that is no longer open; nothing was changed." :
                    d.ApproverHash == subjectHash ? "The subject of an incident can never decide it; nothing was changed." :
                    !eligible.ContainsKey(d.ApproverHash) ? "You are not a current approver of this gate; nothing was changed." :
                    votes.ContainsKey(d.ApproverHash) ? "You have already decided at this gate; a second decision changes nothing." :
                    !Decisions.IsValid(d.Decision) ? "Unknown decision; nothing was changed." :
                    null;
                if (refusal is not null)
                {
                    Receipt(d, false, refusal);
                    Record("decision refused", $"{gate}: {refusal}");
                    continue;
                }

                string who = eligible[d.ApproverHash];
                var accepted = new Vote(who, d.Decision, Now, d.Comment);
                votes[d.ApproverHash] = accepted;
                escalate |= d.Decision == Decisions.Escalate;
                Record("decision", $"{gate}: {who} decided {d.Decision}" + (string.IsNullOrWhiteSpace(d.Comment) ? "" : $" — “{d.Comment}”"));

                int approvals = votes.Values.Count(v => v.Decision is Decisions.Approve or Decisions.Escalate);
                GateOutcome? decided = d.Decision == Decisions.Reject ? GateOutcome.Rejected : approvals >= gatePolicy.Quorum ? GateOutcome.Approved : null;
                string message = decided switch
                {
                    GateOutcome.Rejected => $"Recorded: you rejected at gate {gate}.",
                    GateOutcome.Approved => $"Recorded: you approved at gate {gate}. The incident moves on.",
                    _ => $"Recorded: you approved at gate {gate}; {gatePolicy.Quorum - approvals} more distinct approver(s) needed.",
                };
                openGate = decided is null ? openGate! with { Votes = votes.Values.ToList() } : null;
                Receipt(d, true, message);

                await MailReceiptAsync(new DecisionReceiptRequest(IncidentId, gateId, gate, who, d.Decision, d.Comment, Now, message));
                if (decided is { } result)
                {
                    return new GateResult(result, votes.Values.ToList(), escalate);
                }
            }
        }

        openGate = null;
        Record("gate expired", $"{gate}: no decision by the end of the escalation chain ({string.Join(" → ", gatePolicy.Chain)})");
        return new GateResult(GateOutcome.Expired, votes.Values.ToList(), escalate);
    }

    /// <summary>The approver's own record of the decision. Best effort: a mail outage must not hold the incident.</summary>
    async Task MailReceiptAsync(DecisionReceiptRequest request)
    {
        try
        {
            await CallAsync(nameof(SendDecisionReceipt), request);
        }
        catch (TaskFailedException ex)
        {
            Record("receipt not mailed", $"{request.Approver}: {ex.FailureDetails?.ErrorMessage ?? ex.Message}");
        }
    }

    ApprovalSummary Summary() => new(
        status.Subject, input.Alert.Subject.DisplayName, status.VendorId, Plan.VendorName, status.SiteId, Plan.SiteName,
        status.Severity, status.RiskScore,
        input.Alert.Indicators.Select(i => i.Count is null ? $"{i.Kind}: {i.Detail}" : $"{i.Kind} ×{i.Count}: {i.Detail}").ToList(),
        status.Containment is null ? "No containment yet: the account is still active." :
            $"Sessions revoked, account disabled, {status.Containment.RemovedGroups.Count} group memberships removed at {(status.ContainedAt is { } c ? Notification.MailLayout.Time(c) : "—")}.",
        Plan.Clients.Select(c => c.Name).ToList(),
        input.Alert.AffectedRecords);
}
