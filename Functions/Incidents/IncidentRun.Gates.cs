using Cordon.Approvals;
using Cordon.Monitoring;
using Cordon.Policy;

namespace Cordon.Incidents;

internal sealed record GateResult(GateOutcome Outcome, IReadOnlyList<Vote> Votes, bool Escalate);

internal sealed partial class IncidentRun
{
    /// <summary>
    /// A human decision point. Asks each role of the chain in turn (escalating on each step timeout) and
    /// answers every attempt by the gate's rules (<see cref="GateRules"/>), here in the orchestration, the
    /// source of truth: only current approvers count, the subject never decides their own incident, a quorum
    /// needs distinct people, and every refused attempt is answered and changes nothing.
    /// </summary>
    async Task<GateResult> RunGateAsync(string gate, GatePolicy gatePolicy, List<DateTime>? reminders, GateProposal? proposal = null)
    {
        // A restarted incident's gates are its own (confirm-r1-1): its approvers are asked again, and the failed run's links decide nothing.
        string run = input.Restart is { } restart ? $"r{restart.Number}-" : "";
        var rules = new GateRules(gate, $"{gate}-{run}{++gateCounter}", status.Subject, gatePolicy);
        DateTime openedAt = Now;
        string gateSeverity = status.Severity;

        for (int step = 0; step < gatePolicy.Chain.Count; step++)
        {
            GateStep ask = rules.Ask(step, Plan.Approvers.TryGetValue(gatePolicy.Chain[step], out var list) ? list : []);
            foreach (string subject in ask.SkippedAsSubject)
            {
                Record(TimelineSteps.ApproverSkipped, $"{ask.Role} {subject} is the subject of this incident and cannot decide it");
            }

            DateTime stepEnds = Now + gatePolicy.StepTimeout;
            DateTime linkExpiry = rules.LinkExpiry(step, Now);
            openGate = new PendingApproval(rules.GateId, gate, rules.Eligible, stepEnds, rules.Quorum, rules.Votes, openedAt, ask.Role, step, proposal);
            Publish(); // the gate is open before any link to it is mailed: a fast approver never finds it closed

            string opened = step == 0 ? TimelineSteps.GateOpened : TimelineSteps.Escalated;
            if (ask.Asked.Count == 0 && input.EmptyStepsEscalateAtOnce && step + 1 < gatePolicy.Chain.Count)
            {
                // Nobody to ask (the role's only approver is the subject, who is not contained meanwhile when they are one
                // of Cordon's responders): waiting out the step left the incident undecided for it (found by an attack).
                Record(opened, $"{gate}: no eligible approver in role {ask.Role}; escalating at once");
                continue;
            }

            if (ask.Asked.Count == 0)
            {
                Record(opened, $"{gate}: no eligible approver in role {ask.Role}");
            }
            else
            {
                await StepAsync(nameof(SendApprovalRequests), () => context.CallActivityAsync<int>(nameof(SendApprovalRequests),
                    new ApprovalRequest(IncidentId, rules.GateId, gate, ask.Role, ask.Asked, linkExpiry, step > 0, Summary(), proposal, stepEnds,
                        input.Restart?.Number ?? 0), Retry()));
                Record(opened, $"{gate}: asked {ask.Role} ({string.Join(", ", ask.Asked)}) until {stepEnds:u}" +
                    (rules.Quorum > 1 ? $"; {rules.Quorum} distinct approvers needed" : ""));
            }

            while (true)
            {
                // Alerts taken since the last look (here, while mailing, or by a step running alongside).
                if (Alerts.Severities.Rank(status.Severity) > Alerts.Severities.Rank(gateSeverity))
                {
                    gateSeverity = status.Severity;
                    if (GateRules.ShortenedStepEnd(Now, stepEnds) is { } shorter)
                    {
                        stepEnds = shorter;
                        openGate = openGate! with { ExpiresAt = stepEnds };
                        Record(TimelineSteps.TimeoutShortened, $"{gate}: severity rose to {status.Severity}; this step now ends {stepEnds:u}");
                    }
                }

                if (containment is null && SeverityCallsForContainment)
                {
                    string stage = status.Stage;
                    await ContainAsync();
                    SetStage(stage);
                }

                Wake wake = await NextAsync(GateRules.NextWake(reminders, Now, stepEnds));
                switch (wake.Kind)
                {
                    case WakeKind.Timeout when Now >= stepEnds:
                        break; // escalate to the next role
                    case WakeKind.Timeout:
                        // A reminder's time, or the step's end fired a little early: on Azure Storage a timer's message
                        // becomes visible on whole seconds, so the episode can start just before the timer's time.
                        // The loop then waits again for what is left of the step.
                        if (reminders is not null)
                        {
                            await SendDueRemindersAsync(rules.GateId, rules.Eligible.ToList(), reminders);
                        }

                        continue;
                    case WakeKind.Merge:
                        continue; // taken (by whichever waiter saw it); the loop's top reacts to the severity it left
                    case WakeKind.Operator:
                        if (OnOperatorAtGate(rules, wake.Action!) is { } byOperator)
                        {
                            return byOperator;
                        }

                        continue;
                    default:
                        if (await OnDecisionAsync(rules, wake.Decision!) is { } byLink)
                        {
                            return byLink;
                        }

                        continue;
                }

                break;
            }
        }

        openGate = null;
        Record(TimelineSteps.GateExpired, $"{gate}: no decision by the end of the escalation chain ({string.Join(" → ", gatePolicy.Chain)})");
        return new GateResult(GateOutcome.Expired, rules.Votes, rules.Escalate);
    }

    /// <summary>
    /// An operator at an open gate: Close ends the incident; Approve or Reject is one vote of one person (a quorum
    /// still needs distinct people, whether they answer by link or from the dashboard); anything else is refused.
    /// </summary>
    GateResult? OnOperatorAtGate(GateRules rules, OperatorAction action)
    {
        string gate = rules.Gate;
        if (action.Action == OperatorActions.Close)
        {
            openGate = null;
            throw new IncidentClosedByOperator(action.Operator, action.Reason);
        }

        if (action.Action != OperatorActions.Decide || action.Decision is not (Decisions.Approve or Decisions.Reject))
        {
            Record(TimelineSteps.OperatorActionRefused, $"{action.Action}: not applicable while waiting at gate {gate}");
            return null;
        }

        if (rules.Refusal(action) is { } refused)
        {
            Record(TimelineSteps.OperatorActionRefused, $"{gate}: {refused}");
            return null;
        }

        if (rules.Accept(action, Now) is not { } decided)
        {
            openGate = openGate! with { Votes = rules.Votes };
            Record(TimelineSteps.OperatorVote, $"{gate}: {action.Operator} approved; {rules.StillNeeded} more distinct approver(s) needed. {action.Reason}".TrimEnd());
            return null;
        }

        Record(TimelineSteps.OperatorDecision, $"{gate}: {action.Operator} decided {action.Decision}. {action.Reason}".TrimEnd());
        openGate = null;
        return new GateResult(decided, rules.Votes, rules.Escalate);
    }

    /// <summary>A decision from an approval link: refused with its reason, or counted, answered and mailed to the approver.</summary>
    async Task<GateResult?> OnDecisionAsync(GateRules rules, ApprovalDecision d)
    {
        string gate = rules.Gate;
        if (rules.Refusal(d) is { } refusal)
        {
            Receipt(d, false, refusal);
            Record(TimelineSteps.DecisionRefused, $"{gate}: {refusal}");
            return null;
        }

        string who = rules.ApproverOf(d);
        GateOutcome? decided = rules.Accept(d, Now);
        Record(TimelineSteps.Decision, $"{gate}: {who} decided {d.Decision}" + (string.IsNullOrWhiteSpace(d.Comment) ? "" : $" — “{d.Comment}”"));

        string message = rules.ReceiptMessage(decided);
        openGate = decided is null ? openGate! with { Votes = rules.Votes } : null;
        Receipt(d, true, message);

        await MailReceiptAsync(new DecisionReceiptRequest(IncidentId, rules.GateId, gate, who, d.Decision, d.Comment, Now, message));
        return decided is { } result ? new GateResult(result, rules.Votes, rules.Escalate) : null;
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
            Record(TimelineSteps.ReceiptNotMailed, $"{request.Approver}: {ex.FailureDetails?.ErrorMessage ?? ex.Message}");
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
