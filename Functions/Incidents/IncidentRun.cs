using Cordon.Alerts;
using Cordon.Approvals;
using Cordon.Containment;
using Cordon.Evidence;
using Cordon.Monitoring;
using Cordon.Notification;
using Cordon.Offboarding;
using Cordon.Policy;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Cordon.Incidents;

/// <summary>
/// One execution of <see cref="RespondToIncident"/>: the incident's state and its steps.
/// Deterministic: time from the context, waiting through durable timers and events, work in activities.
/// </summary>
internal sealed partial class IncidentRun
{
    const int TimelineKept = 40;
    const int ReceiptsKept = 12;

    readonly TaskOrchestrationContext context;
    readonly IncidentInput input;
    readonly ILogger logger;
    readonly List<TimelineEntry> timeline = [];
    readonly List<DecisionReceipt> receipts = [];
    readonly HashSet<string> alertIds = new(StringComparer.Ordinal);
    readonly List<Deadline> deadlines = [];

    ResponsePlan? plan;
    IncidentStatus status;
    ContainmentRecord? containment;
    PendingApproval? openGate;
    DateTime? confirmedAt;
    bool escalateToVendor;
    int gateCounter;

    Task<ApprovalDecision>? pendingDecision;
    Task<RiskAlert>? pendingMerge;
    Task<OperatorAction>? pendingOperator;

    public IncidentRun(TaskOrchestrationContext context, IncidentInput input, bool announceEvents)
    {
        this.context = context;
        this.input = input;
        this.announceEvents = announceEvents;
        logger = context.CreateReplaySafeLogger<RespondToIncident>();
        RiskAlert a = input.Alert;
        alertIds.Add(AlertKey(a));
        status = new IncidentStatus
        {
            Severity = a.Severity,
            RiskScore = a.RiskScore,
            Subject = a.Subject.UserPrincipalName,
            VendorId = a.Subject.VendorId,
            SiteId = a.Subject.SiteId,
            OpenedAt = input.ReceivedAt,
        };
    }

    DateTime Now => context.CurrentUtcDateTime;

    string IncidentId => input.IncidentId;

    ResponsePolicy Policy => plan?.Policy ?? ResponsePolicy.Default;

    ResponsePlan Plan => plan ?? throw new InvalidOperationException("triage has not produced a plan yet");

    public static string AlertKey(RiskAlert alert) => $"{alert.Source}/{alert.AlertId}";

    public async Task<IncidentResult> ExecuteAsync()
    {
        Record("opened", $"alert {input.Alert.AlertId} from {input.Alert.Source}: {input.Alert.Severity}, score {input.Alert.RiskScore}");
        // In parallel with triage: announcing must not delay containment.
        announcedOpened = AnnounceAsync(LifecycleEvents.Opened, null, $"alert {input.Alert.AlertId} from {input.Alert.Source}");
        try
        {
            await RunWorkflowAsync();
        }
        catch (IncidentClosedByOperator closed)
        {
            status = status with { Outcome = closed.Outcome };
            Record("closed by operator", closed.Message);
        }

        // Closed is published with the report's name: operators never see a closed incident without its report.
        status = status with { Stage = Stages.Closed };
        await WriteReportAsync();
        Publish();
        await AnnounceAsync(LifecycleEvents.Closed, null, $"closed: {status.Outcome}");
        logger.LogInformation("Incident {IncidentId} closed: {Outcome}", IncidentId, status.Outcome);
        return new IncidentResult(IncidentId, status.Outcome ?? Outcomes.Unreviewed, Now);
    }

    async Task RunWorkflowAsync()
    {
        SetStage(Stages.Triage);
        plan = await StepAsync(nameof(TriageAlert), () => context.CallActivityAsync<ResponsePlan>(nameof(TriageAlert), input, Retry()));
        status = status with { ConfigurationVersion = Plan.ConfigurationVersion };
        Record("triaged", Plan.RecordOnly ? "below the record-only threshold: recorded, no action"
            : Plan.AutoContain ? "auto-contain: severity at or above " + Policy.AutoContainAtOrAbove
            : "ask first: containment waits for confirmation");

        if (Plan.RecordOnly)
        {
            await PreserveAsync(input.Alert, "alert (record only)");
            status = status with { Outcome = Outcomes.Unreviewed };
            return;
        }

        ComputeDeadlines(); // clocks that run from detection (CERT-In 6 h) are ticking already: show them now
        SetStage(Stages.Containment);
        Task preserve = PreserveAsync(input.Alert, "initial alert");
        if (Plan.AutoContain)
        {
            await ContainAsync();
        }

        await preserve;

        SetStage(Stages.AwaitingConfirmation);
        GateResult confirm = await RunGateAsync("confirm", Policy.Confirm, reminders: null);
        status = status with { Metrics = status.Metrics with { SecondsToDecide = (Now - input.ReceivedAt).TotalSeconds } };
        if (confirm.Outcome != GateOutcome.Expired)
        {
            await AnnounceAsync(LifecycleEvents.Decided, confirm.Outcome == GateOutcome.Approved ? Outcomes.ConfirmedInsider : Outcomes.FalsePositive,
                $"confirm gate {(confirm.Outcome == GateOutcome.Approved ? "approved" : "rejected")} by {string.Join(", ", confirm.Votes.Select(v => v.Approver))}");
        }

        if (confirm.Outcome == GateOutcome.Rejected)
        {
            if (containment is not null)
            {
                await StepAsync(nameof(RestoreAccess), () => context.CallActivityAsync<RestoreResult>(nameof(RestoreAccess), containment, Retry()));
                Record("access restored", DescribeRestore(containment));
            }

            status = status with { Outcome = Outcomes.FalsePositive };
            return;
        }

        if (confirm.Outcome == GateOutcome.Expired)
        {
            status = status with { Outcome = Outcomes.Unreviewed };
            Record("unreviewed", containment is null
                ? "nobody decided by the end of the escalation chain; no containment was applied"
                : "nobody decided by the end of the escalation chain; access stays contained");
            await TellOperatorsAsync("Incident unreviewed", $"No approver decided on incident {IncidentId} by the end of the escalation chain. " +
                (containment is null ? "No containment is in place." : "The subject stays contained."));
            return;
        }

        confirmedAt = Now;
        escalateToVendor |= confirm.Escalate;
        Record("confirmed", $"insider confirmed by {string.Join(", ", confirm.Votes.Select(v => v.Approver))}");
        if (containment is null)
        {
            await ContainAsync();
        }

        SetStage(Stages.Revocation);
        RevocationRecord revoked = await StepAsync(nameof(RevokeAccess),
            () => context.CallActivityAsync<RevocationRecord>(nameof(RevokeAccess), new RevokeRequest(IncidentId, status.Subject), Retry()));
        Record("access revoked", $"account disabled; removed {revoked.RemovedGroups.Count} groups, {revoked.RemovedLicences.Count} licences, {revoked.RemovedAppRoles.Count} app roles");
        int trained = await StepAsync(nameof(AssignTraining),
            () => context.CallActivityAsync<int>(nameof(AssignTraining), new TrainingRequest(IncidentId, status.VendorId, status.SiteId, Plan.VendorContacts), Retry()));
        Record("training assigned", $"ethics and anti-bribery training assigned to {trained} agents of site {status.SiteId}");

        await NotifyClientsAsync();
        await MaybeOffboardVendorAsync();
        status = status with { Outcome = Outcomes.ConfirmedInsider };
    }

    async Task ContainAsync()
    {
        SetStage(Stages.Containment);
        var request = new ContainRequest(IncidentId, status.Subject, Policy.PrivilegedGroups, Plan.Clients, input.ReceivedAt, Policy.Exposure);
        containment = await StepAsync(nameof(ContainSubject), () => context.CallActivityAsync<ContainmentRecord>(nameof(ContainSubject), request, Retry()));
        status = status with
        {
            ContainedAt = containment.ContainedAt,
            Containment = new ContainmentSummary(containment.WasEnabled, containment.RemovedGroups, containment.SessionsRevoked),
            Metrics = status.Metrics with { SecondsToContain = (containment.ContainedAt - input.ReceivedAt).TotalSeconds },
        };
        ComputeExposure();
        foreach (SessionKill kill in containment.SessionKills.Where(k => !k.Acknowledged))
        {
            Record("session kill failed", $"client {kill.ClientId}: {kill.Detail}; its window stays at the session lifetime");
            await TellOperatorsAsync("Client session kill failed", $"Incident {IncidentId}: the session-kill call to client {kill.ClientId} failed ({kill.Detail}). " +
                "The agent's session in that system may stay valid until the window shown on the incident closes.");
        }

        Record("contained", $"sessions revoked, account disabled, {containment.RemovedGroups.Count} group memberships removed" +
            (containment.SessionKills.Count > 0 ? $", client sessions killed: {containment.SessionKills.Count(k => k.Acknowledged)}/{containment.SessionKills.Count}" : ""));
        await AnnounceAsync(LifecycleEvents.Contained, null, $"contained at {containment.ContainedAt:O}; exposure ends by {status.ExposureEndsBy:O}");
    }

    void ComputeExposure()
    {
        if (containment is null)
        {
            return;
        }

        IReadOnlyList<ExposureWindow> windows = ExposureWindows.Compute(containment, Policy.Exposure, Plan.Clients);
        status = status with { Exposure = windows, ExposureEndsBy = ExposureWindows.EndsBy(containment, windows) };
    }

    async Task PreserveAsync(RiskAlert alert, string reason)
    {
        var request = new PreserveRequest(IncidentId, alert, reason);
        EvidenceSummary summary = await StepAsync(nameof(PreserveEvidence),
            () => context.CallActivityAsync<EvidenceSummary>(nameof(PreserveEvidence), request, Retry()));
        Record("evidence preserved", $"{reason}: {summary.Items} items hashed (SHA-256) into the manifest");
    }

    async Task HandleMergeAsync(RiskAlert alert)
    {
        if (!alertIds.Add(AlertKey(alert)))
        {
            return; // a duplicate delivery of an alert already merged: one effect
        }

        string before = status.Severity;
        string severity = Severities.Max(before, alert.Severity);
        status = status with { Severity = severity, RiskScore = Math.Max(status.RiskScore, alert.RiskScore), AlertIds = alertIds.ToList() };
        Record("alert merged", $"alert {alert.AlertId} from {alert.Source}: {alert.Severity}, score {alert.RiskScore}" +
            (severity != before ? $"; severity raised {before} → {severity}" : ""));
        await PreserveAsync(alert, $"merged alert {alert.AlertId}");

        if (containment is null && Severities.Rank(severity) >= Severities.Rank(Policy.AutoContainAtOrAbove))
        {
            string stage = status.Stage;
            await ContainAsync();
            SetStage(stage);
        }
    }

    TaskOptions Retry()
    {
        StepRetryPolicy r = plan?.Policy.Retry ?? new StepRetryPolicy();
        return TaskOptions.FromRetryPolicy(new Microsoft.DurableTask.RetryPolicy(
            r.MaxAttempts, r.FirstRetry, r.BackoffCoefficient, r.MaxRetryInterval));
    }

    void SetStage(string stage)
    {
        status = status with { Stage = stage };
        Publish();
    }

    void Record(string step, string detail)
    {
        timeline.Add(new TimelineEntry(Now, step, detail));
        Publish();
    }

    void Receipt(ApprovalDecision decision, bool accepted, string message)
    {
        receipts.Add(new DecisionReceipt(decision.DecisionId, accepted, message));
        if (receipts.Count > ReceiptsKept)
        {
            receipts.RemoveAt(0);
        }

        Publish();
    }

    void Publish()
    {
        status = status with
        {
            UpdatedAt = Now,
            AlertIds = alertIds.ToList(),
            Timeline = timeline.Count > TimelineKept ? timeline[^TimelineKept..] : timeline.ToList(),
            Receipts = receipts.ToList(),
            Deadlines = deadlines.ToList(),
            PendingApprovals = openGate is null ? [] : [openGate],
        };
        context.SetCustomStatus(status);
    }

    async Task TellOperatorsAsync(string subject, string detail)
    {
        try
        {
            await context.CallActivityAsync(nameof(NotifyOperators), new OperatorNotice(IncidentId, subject, detail, plan?.Operators ?? []), Retry());
        }
        catch (TaskFailedException ex)
        {
            Record("operator alert failed", ex.FailureDetails.ErrorMessage);
        }
    }

    static string DescribeRestore(ContainmentRecord c) =>
        $"{(c.WasEnabled ? "account re-enabled" : "account left disabled (it was disabled before containment)")}, " +
        $"{c.RemovedGroups.Count} group memberships restored";
}
