using Cordon.Alerts;
using Cordon.Approvals;
using Cordon.Containment;
using Cordon.Evidence;
using Cordon.Monitoring;
using Cordon.Notification;
using Cordon.Offboarding;
using Cordon.Policy;

namespace Cordon.Incidents;

/// <summary>
/// One execution of <see cref="RespondToIncidentV2"/>: the incident's state and its steps.
/// Deterministic: time from the context, waiting through durable timers and events, work in activities.
/// </summary>
internal sealed partial class IncidentRun
{
    const int TimelineKept = 40;
    const int ReceiptsKept = 12;
    const int AlertsKept = 10;
    const int AlertIdsKept = 20;
    const int AlertDigestsKept = 256;
    /// <summary>
    /// Evidence of merged alerts is preserved on this many parallel lanes, each step taking every alert queued meanwhile
    /// (up to <see cref="PreserveMergedEvidence.MaxAlerts"/>): a flood neither fans out without bound nor costs a step,
    /// and an episode replaying the whole history, per alert.
    /// </summary>
    const int PreserveLanes = 2;

    readonly TaskOrchestrationContext context;
    readonly IncidentInput input;
    readonly ILogger logger;
    readonly List<TimelineEntry> timeline = [];
    readonly List<DecisionReceipt> receipts = [];
    readonly HashSet<string> alertIds = new(StringComparer.Ordinal);
    readonly List<string> alertKeys = [];
    readonly List<string> alertDigests = [];
    readonly List<AlertSummary> alertSummaries = [];
    readonly List<int> timelineSizes = [];
    readonly List<int> alertSizes = [];
    readonly List<int> keySizes = [];
    readonly HashSet<string> handedOn = new(StringComparer.Ordinal);
    readonly Task[] preserveLanes = [Task.CompletedTask, Task.CompletedTask];
    /// <summary>Merged alerts whose evidence no lane has taken yet, oldest first.</summary>
    readonly Queue<RiskAlert> evidenceQueue = new();
    /// <summary>The initial alert's evidence (merged alerts' evidence runs on <see cref="preserveLanes"/>).</summary>
    Task initialEvidence = Task.CompletedTask;
    /// <summary>Merged alerts whose evidence is queued or being preserved (shown on the status).</summary>
    int evidencePending;
    readonly List<Deadline> deadlines = [];

    ResponsePlan? plan;
    IncidentStatus status;
    ContainmentRecord? containment;
    PendingApproval? openGate;
    DateTime? confirmedAt;
    bool escalateToVendor;
    /// <summary>Who proposed vendor offboarding when confirming, and their comment: the vendor gate tells its approvers why.</summary>
    Vote? escalatedBy;
    int gateCounter;
    int containingAlerts;
    /// <summary>Containments applied so far (a false positive restored and then contained again counts twice).</summary>
    int containments;
    DateTime? closingAt;

    Task<ApprovalDecision>? pendingDecision;
    Task<RiskAlert>? pendingMerge;
    Task<OperatorAction>? pendingOperator;

    public IncidentRun(TaskOrchestrationContext context, IncidentInput input)
    {
        this.context = context;
        this.input = input;
        logger = context.CreateReplaySafeLogger<RespondToIncidentV2>();
        RiskAlert a = input.Alert;
        alertIds.Add(AlertKey(a));
        KeepAlert(a);
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

    public static string AlertKey(RiskAlert alert) => AlertKeys.Of(alert);

    /// <summary>Triaged at intake: the plan came in the input (incidents started before that call TriageAlert).</summary>
    bool TriagedAtIntake => input.Plan is not null;

    public async Task<IncidentResult> ExecuteAsync()
    {
        if (input.Restart is { } restart)
        {
            // A new execution: the failed run's timeline (as its status kept it) comes first, then who restarted it.
            foreach (TimelineEntry earlier in restart.PreviousTimeline ?? [])
            {
                timeline.Add(earlier);
                timelineSizes.Add(StatusBudget.Size(earlier));
            }

            Record(TimelineSteps.Restarted, $"restarted by {restart.Operator} at {restart.At:u} (restart {restart.Number}): {restart.Reason}" +
                (restart.PreviousFailure is { } failure ? $". The previous run stopped with an error: {failure}" : "") +
                ". Steps already done are found done; the gates ask their approvers again");
        }
        else
        {
            Record(TimelineSteps.Opened, $"alert {input.Alert.AlertId} from {input.Alert.Source}: {input.Alert.Severity}, score {input.Alert.RiskScore}");
        }

        _ = ArmMerges(); // from the first moment: an alert merged at any stage is taken
        if (!TriagedAtIntake)
        {
            // In parallel with triage: announcing must not delay containment.
            AnnounceOpened();
        }

        try
        {
            await RunWorkflowAsync();
            StopTakingAlerts();
        }
        catch (IncidentClosedByOperator closed)
        {
            StopTakingAlerts();
            status = status with { Outcome = closed.Outcome };
            Record(TimelineSteps.ClosedByOperator, closed.Message);
        }

        try
        {
            await MergedEvidencePreservedAsync();
        }
        catch (IncidentClosedByOperator)
        {
            // A merged alert's evidence step was waiting for an operator, who closed the incident instead.
        }

        // Closed is published with the report's name: operators never see a closed incident without its report.
        status = status with { Stage = Stages.Closed };
        await WriteReportAsync();
        Publish();
        await AnnounceAsync(LifecycleEvents.Closed, null, $"closed: {status.Outcome}");
        TakeDeliveredAlerts(); // delivered while closing: recorded as handed on, intake places them in a new incident
        DropWakeTimer();
        logger.LogInformation("Incident {IncidentId} closed: {Outcome}", IncidentId, status.Outcome);
        return new IncidentResult(IncidentId, status.Outcome ?? Outcomes.Unreviewed, Now, alertKeys.ToList(), status.EvidenceHead);
    }

    /// <summary>
    /// From here on the incident takes no alert: its outcome is final. The status says so, and intake opens a
    /// new incident for an alert of this subject (one already raised here is recorded as handed on, and intake,
    /// which confirms every merge, places it anew).
    /// </summary>
    void StopTakingAlerts()
    {
        if (closingAt is null)
        {
            closingAt = Now;
            Publish();
        }
    }

    /// <summary>Every merged alert's evidence is in before the report (alerts still arriving meanwhile are taken too).</summary>
    async Task MergedEvidencePreservedAsync()
    {
        while (!initialEvidence.IsCompleted || preserveLanes.Any(t => !t.IsCompleted))
        {
            await TakingAlertsAsync(Task.WhenAll(preserveLanes.Append(initialEvidence)));
        }

        await Task.WhenAll(preserveLanes.Append(initialEvidence)); // surfaces an operator's close from a lane
    }

    async Task RunWorkflowAsync()
    {
        if (TriagedAtIntake)
        {
            plan = input.Plan;
        }
        else
        {
            SetStage(Stages.Triage);
            plan = await StepAsync(nameof(TriageAlert), () => context.CallActivityAsync<ResponsePlan>(nameof(TriageAlert), input, Retry()));
        }

        status = status with { ConfigurationVersion = Plan.ConfigurationVersion, Roster = Plan.Roster };
        if (Plan.Roster is { OnRoster: false } roster)
        {
            // Flagged, not refused: the alert may be right and the directory group behind (or the subject an impostor).
            Record(TimelineSteps.NotOnRoster, $"{input.Alert.Subject.UserPrincipalName} is not a member of site {input.Alert.Subject.SiteId}'s directory group {roster.GroupId} ({roster.Members} members, synced {roster.SyncedAt:yyyy-MM-dd HH:mm} UTC)");
        }

        Record(TimelineSteps.Triaged, Plan.RecordOnly ? "below the record-only threshold: recorded, no action"
            : Plan.AutoContain ? "auto-contain: severity at or above " + Policy.AutoContainAtOrAbove
            : Plan.AskFirstBecause is { } why ? "ask first: " + why
            : "ask first: containment waits for confirmation");

        if (Plan.RecordOnly)
        {
            StopTakingAlerts(); // a later alert of this subject is triaged in an incident of its own
            AnnounceOpened();
            await PreserveAsync(input.Alert, "alert (record only)");
            status = status with { Outcome = Outcomes.Unreviewed };
            return;
        }

        ComputeDeadlines(); // clocks that run from detection (CERT-In 6 h) are ticking already: show them now
        SetStage(Stages.Containment);
        bool contain = Plan.AutoContain || SeverityCallsForContainment;
        if (TriagedAtIntake)
        {
            // Containment first: the first episode schedules ContainSubject and nothing else, so in a burst every
            // containment is queued ahead of any incident's evidence, mail and events, which follow it in parallel.
            // The containment step preserves the alert's evidence once containment is recorded (its result names the
            // items); incidents whose step did not (started before, or a store failure there) preserve it in a step of its own.
            Task announced = Task.CompletedTask;
            if (contain)
            {
                announced = await ContainAsync(announceInBackground: true, preserveAlert: true);
            }

            AnnounceOpened();
            Task preserve = initialEvidence = containment?.Preserved is { } preserved
                ? PreservedWithContainment(preserved)
                : PreserveAsync(input.Alert, PreserveEvidence.InitialAlert);
            await TakingAlertsAsync(Task.WhenAll(preserve, announced));
        }
        else
        {
            Task preserve = initialEvidence = PreserveAsync(input.Alert, PreserveEvidence.InitialAlert);
            if (contain)
            {
                await ContainAsync();
            }

            await TakingAlertsAsync(preserve);
        }

        GateResult confirm;
        while (true)
        {
            if (containment is null && SeverityCallsForContainment)
            {
                await ContainAsync(); // an alert merged before the gate raised the severity
            }

            SetStage(Stages.AwaitingConfirmation);
            confirm = await RunGateAsync(Gates.Confirm, Policy.Confirm, reminders: null);
            status = status with { Metrics = status.Metrics with { SecondsToDecide = (Now - input.ReceivedAt).TotalSeconds } };
            int containingAtDecision = containingAlerts;
            if (confirm.Outcome != GateOutcome.Expired)
            {
                await AnnounceAsync(LifecycleEvents.Decided, confirm.Outcome == GateOutcome.Approved ? Outcomes.ConfirmedInsider : Outcomes.FalsePositive,
                    $"confirm gate {(confirm.Outcome == GateOutcome.Approved ? "approved" : "rejected")} by {string.Join(", ", confirm.Votes.Select(v => v.Approver))}");
            }

            if (confirm.Outcome != GateOutcome.Rejected)
            {
                break;
            }

            // A rejection undoes containment, unless an alert that calls for containment arrives after the
            // decision: then the restore stops (or, caught mid-restore, containment is applied again at once)
            // and the incident goes back to the confirm gate, so the approvers decide with that alert in view.
            if (containment is not null && containingAlerts == containingAtDecision)
            {
                ContainmentRecord restoring = containment;
                await StepAsync(nameof(RestoreAccess), () => context.CallActivityAsync<RestoreResult>(nameof(RestoreAccess), restoring, Retry()));
                Record(TimelineSteps.AccessRestored, DescribeRestore(restoring));
                if (containingAlerts != containingAtDecision)
                {
                    Record(TimelineSteps.RestoreOvertaken, "an alert that calls for containment arrived during the restore; containing again and asking for confirmation again");
                    containment = null;
                    await ContainAsync();
                    continue;
                }

                containment = null;
            }
            else if (containingAlerts != containingAtDecision)
            {
                Record(TimelineSteps.RestoreStopped, "an alert that calls for containment arrived after the rejection; the subject stays contained and the confirm gate opens again");
                continue;
            }

            StopTakingAlerts();
            status = status with { Outcome = Outcomes.FalsePositive };
            return;
        }

        if (confirm.Outcome == GateOutcome.Expired)
        {
            StopTakingAlerts(); // the outcome is final: a new alert opens a new incident, which can contain
            status = status with { Outcome = Outcomes.Unreviewed };
            Record(TimelineSteps.Unreviewed, containment is null
                ? "nobody decided by the end of the escalation chain; no containment was applied"
                : "nobody decided by the end of the escalation chain; access stays contained");
            await TellOperatorsAsync("Incident unreviewed", $"No approver decided on incident {IncidentId} by the end of the escalation chain. " +
                (containment is null ? "No containment is in place." : "The subject stays contained."));
            return;
        }

        confirmedAt = Now;
        escalateToVendor |= confirm.Escalate;
        escalatedBy ??= confirm.Votes.FirstOrDefault(v => v.Decision == Approvals.Decisions.Escalate);
        Record(TimelineSteps.Confirmed, $"insider confirmed by {string.Join(", ", confirm.Votes.Select(v => v.Approver))}");
        if (containment is null)
        {
            await ContainAsync();
        }

        SetStage(Stages.Revocation);
        RevocationRecord revoked = await StepAsync(nameof(RevokeAccess),
            () => context.CallActivityAsync<RevocationRecord>(nameof(RevokeAccess), new RevokeRequest(IncidentId, status.Subject), Retry()));
        Record(TimelineSteps.AccessRevoked, $"account disabled; removed {revoked.RemovedGroups.Count} groups, {revoked.RemovedLicences.Count} licences, {revoked.RemovedAppRoles.Count} app roles");
        int trained = await StepAsync(nameof(AssignTraining),
            () => context.CallActivityAsync<int>(nameof(AssignTraining), new TrainingRequest(IncidentId, status.VendorId, status.SiteId, Plan.VendorContacts), Retry()));
        Record(TimelineSteps.TrainingAssigned, $"ethics and anti-bribery training assigned to {trained} agents of site {status.SiteId}");

        await NotifyClientsAsync();
        await MaybeOffboardVendorAsync();
        status = status with { Outcome = Outcomes.ConfirmedInsider };
    }

    /// <summary>
    /// Contains the subject. With <paramref name="announceInBackground"/> the "contained" event is returned unawaited,
    /// for the caller to await beside the follow-up work; otherwise it is awaited here. With <paramref name="preserveAlert"/>
    /// the step also preserves the first alert's evidence once the containment is recorded (<see cref="ContainmentRecord.Preserved"/>).
    /// </summary>
    async Task<Task> ContainAsync(bool announceInBackground = false, bool preserveAlert = false)
    {
        SetStage(Stages.Containment);
        var request = ContainRequest(++containments) with { PreserveAlert = preserveAlert ? input.Alert : null };
        containment = await StepAsync(nameof(ContainSubject), () => context.CallActivityAsync<ContainmentRecord>(nameof(ContainSubject), request, Retry()));
        // An incident triaged at intake announces "opened" once contained: events come after containment. Intake that
        // contained it may have announced both already (its record says so).
        bool announcedAtIntake = containment.AnnouncedAtIntake && !openedAnnounced;
        if (announcedAtIntake)
        {
            OpeningAnnouncedAtIntake();
        }

        IncidentEventNotice? opened = announcedAtIntake ? null : OpenedToSendWithContained();
        status = status with
        {
            ContainedAt = containment.ContainedAt,
            Containment = new ContainmentSummary(containment.WasEnabled, containment.RemovedGroups, containment.SessionsRevoked),
            Metrics = status.Metrics with { SecondsToContain = (containment.ContainedAt - input.ReceivedAt).TotalSeconds },
        };
        ComputeExposure();
        foreach (SessionKill kill in containment.SessionKills.Where(k => !k.Acknowledged))
        {
            Record(TimelineSteps.SessionKillFailed, $"client {kill.ClientId}: {kill.Detail}; its window stays at the session lifetime");
            await TellOperatorsAsync("Client session kill failed", $"Incident {IncidentId}: the session-kill call to client {kill.ClientId} failed ({kill.Detail}). " +
                "The agent's session in that system may stay valid until the window shown on the incident closes.");
        }

        Record(TimelineSteps.Contained, $"sessions revoked, account disabled, {containment.RemovedGroups.Count} group memberships removed" +
            (containment.SessionKills.Count > 0 ? $", client sessions killed: {containment.SessionKills.Count(k => k.Acknowledged)}/{containment.SessionKills.Count}" : ""));
        Task announced = announcedAtIntake ? Task.CompletedTask : AnnounceContained(opened, OpeningNotices.ContainedDetail(containment.ContainedAt, status.ExposureEndsBy));
        if (!announceInBackground)
        {
            await announced;
        }

        return announced;
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
        Record(TimelineSteps.EvidencePreserved, $"{reason}: {summary.Items} items hashed (SHA-256) into the manifest");
    }

    /// <summary>The containment step preserved the first alert's evidence too (its result names the items): no step of its own.</summary>
    Task PreservedWithContainment(IReadOnlyList<string> items)
    {
        Record(TimelineSteps.EvidencePreserved, $"{PreserveEvidence.InitialAlert}: {items.Count} items hashed (SHA-256) into the manifest");
        return Task.CompletedTask;
    }

    /// <summary>Containment number <paramref name="sequence"/> of this incident; the first is also what intake applies at once.</summary>
    ContainRequest ContainRequest(int sequence) => FirstContainment.Request(input, Plan, status.Subject) with { Sequence = sequence, IntakeContains = sequence == 1 && input.IntakeContains };

    /// <summary>The severity calls for containment without asking — never for one of Cordon's own responders (<see cref="ResponsePlan.AskFirstBecause"/>).</summary>
    bool SeverityCallsForContainment => plan?.AskFirstBecause is null && Severities.Rank(status.Severity) >= Severities.Rank(Policy.AutoContainAtOrAbove);

    /// <summary>
    /// Takes a merged alert, at whatever stage: recorded, severity and score raised, its evidence queued for
    /// preservation. False for an alert already taken (a duplicate delivery: one effect) and for one that
    /// arrives once the incident has stopped taking alerts (recorded as handed on; intake places it anew).
    /// Containment, when the alert calls for it, is the stage's to apply (<see cref="SeverityCallsForContainment"/>).
    /// </summary>
    bool TakeAlert(RiskAlert alert)
    {
        string key = AlertKey(alert);
        if (alertIds.Contains(key))
        {
            return false;
        }

        if (!Cordon.World.SubjectIdentity.Same(alert.Subject.UserPrincipalName, input.Alert.Subject.UserPrincipalName))
        {
            // Another person whose incident ids share this one's 48-bit hash (intake raced that person's first alert here):
            // never taken, or this subject would be judged, and contained, on it. Intake places it in its own incident.
            if (handedOn.Add(key))
            {
                Record(TimelineSteps.AlertHandedOn, $"alert {alert.AlertId} from {alert.Source} is about another subject whose incident ids share this one's hash: not taken; intake places it in that subject's own incident");
            }

            return false;
        }

        if (closingAt is not null)
        {
            if (handedOn.Add(key))
            {
                Record(TimelineSteps.AlertHandedOn, $"alert {alert.AlertId} from {alert.Source} arrived after the outcome was final; intake opens a new incident for it");
            }

            return false;
        }

        alertIds.Add(key);
        KeepAlert(alert);
        string before = status.Severity;
        string severity = Severities.Max(before, alert.Severity);
        status = status with { Severity = severity, RiskScore = Math.Max(status.RiskScore, alert.RiskScore) };
        if (plan?.AskFirstBecause is null && Severities.Rank(alert.Severity) >= Severities.Rank(Policy.AutoContainAtOrAbove))
        {
            containingAlerts++;
        }

        QueueEvidence(alert); // counted as pending on the status the merge publishes
        Record(TimelineSteps.AlertMerged, $"alert {alert.AlertId} from {alert.Source} at {status.Stage}: {alert.Severity}, score {alert.RiskScore}" +
            (severity != before ? $"; severity raised {before} → {severity}" : ""));
        return true;
    }

    void KeepAlert(RiskAlert alert)
    {
        string key = AlertKey(alert);
        AlertSummary summary = AlertSummary.Of(alert);
        alertKeys.Add(key);
        alertDigests.Add(AlertDigest.Of(key));
        alertSummaries.Add(summary);
        keySizes.Add(StatusBudget.Size(key));
        alertSizes.Add(StatusBudget.Size(summary));
    }

    /// <summary>Queues a merged alert's evidence; an idle lane takes it at once, a busy one with the next alerts when its step is done.</summary>
    void QueueEvidence(RiskAlert alert)
    {
        evidenceQueue.Enqueue(alert);
        evidencePending++;
        int idle = Array.FindIndex(preserveLanes, t => t.IsCompleted);
        if (idle >= 0)
        {
            preserveLanes[idle] = PreserveQueuedAsync();
        }
    }

    /// <summary>One lane: takes the queued alerts in batches until none is left.</summary>
    async Task PreserveQueuedAsync()
    {
        while (evidenceQueue.Count > 0)
        {
            var batch = new List<RiskAlert>();
            while (batch.Count < PreserveMergedEvidence.MaxAlerts && evidenceQueue.TryDequeue(out RiskAlert? next))
            {
                batch.Add(next);
            }

            var request = new MergedEvidenceRequest(IncidentId, batch);
            EvidenceSummary summary = await StepAsync(nameof(PreserveMergedEvidence),
                () => context.CallActivityAsync<EvidenceSummary>(nameof(PreserveMergedEvidence), request, Retry()));
            evidencePending -= batch.Count;
            string which = batch.Count == 1 ? $"merged alert {batch[0].AlertId}"
                : $"{batch.Count} merged alerts ({string.Join(", ", batch.Take(3).Select(a => a.AlertId))}{(batch.Count > 3 ? ", …" : "")})";
            Record(TimelineSteps.EvidencePreserved, $"{which}: {summary.Items} items hashed (SHA-256) into the manifest");
        }
    }

    /// <summary>
    /// The step's retries, on durable timers in the orchestration: a throttled directory call waits its Retry-After
    /// (<see cref="StepRetries"/>), so no activity sleeps on a throttle while holding its message.
    /// </summary>
    TaskOptions Retry()
    {
        StepRetryPolicy r = plan?.Policy.Retry ?? new StepRetryPolicy();
        int waitedForIntake = 0; // attempts that found intake containing: they spend none of the step's attempts
        return TaskOptions.FromRetryHandler(async retry =>
        {
            bool intakeAtIt = retry.LastFailure.ErrorType == typeof(ContainmentUnderwayException).FullName;
            waitedForIntake += intakeAtIt ? 1 : 0;
            int attempt = intakeAtIt ? waitedForIntake : retry.LastAttemptNumber - waitedForIntake;
            TimeSpan? wait = StepRetries.NextWait(retry.LastFailure.ErrorType, retry.LastFailure.ErrorMessage, attempt, r);

            if (wait is not { } w)
            {
                return false;
            }

            await retry.OrchestrationContext.CreateTimer(w, CancellationToken.None);
            return true;
        });
    }

    void SetStage(string stage)
    {
        status = status with { Stage = stage };
        Publish();
    }

    void Record(string step, string detail)
    {
        var entry = new TimelineEntry(Now, step, detail);
        timeline.Add(entry);
        timelineSizes.Add(StatusBudget.Size(entry));
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

    /// <summary>
    /// Publishes the status, bounded whatever arrives: the newest timeline entries, alerts and alert keys beside
    /// their totals, trimmed further while the estimate exceeds <see cref="StatusBudget.Bytes"/> (the full lists
    /// are in the evidence and the report).
    /// </summary>
    void Publish()
    {
        int timelineKept = TimelineKept, alertsKept = AlertsKept, idsKept = AlertIdsKept, digestsKept = AlertDigestsKept;
        status = status with
        {
            UpdatedAt = Now,
            AlertCount = alertKeys.Count,
            EvidencePending = evidencePending,
            ClosingAt = closingAt,
            Receipts = receipts.ToList(),
            Deadlines = deadlines.ToList(),
            PendingApprovals = openGate is null ? [] : [openGate],
            WaitingSteps = waiting.ToList(),
            WaitingForOperator = waiting.Count > 0 ? waiting[0] : null,
            Timeline = [], Alerts = [], AlertIds = [], AlertDigests = [],
        };

        // The fixed part once, the lists from sizes kept per entry: cheap enough for every update of a replay.
        int fixedPart = StatusBudget.Estimate(status);
        while (fixedPart + NewestSize(timelineSizes, timelineKept) + NewestSize(alertSizes, alertsKept) + NewestSize(keySizes, idsKept)
               + (Math.Min(digestsKept, alertDigests.Count) * StatusBudget.DigestSize) > StatusBudget.Bytes
               && (timelineKept > 5 || alertsKept > 1 || idsKept > 1 || digestsKept > 16))
        {
            timelineKept = Math.Max(5, timelineKept / 2);
            alertsKept = Math.Max(1, alertsKept / 2);
            idsKept = Math.Max(1, idsKept / 2);
            digestsKept = Math.Max(16, digestsKept / 2);
        }

        status = status with
        {
            Timeline = Newest(timeline, timelineKept),
            Alerts = Newest(alertSummaries, alertsKept),
            AlertIds = Newest(alertKeys, idsKept),
            AlertDigests = Newest(alertDigests, digestsKept),
        };
        context.SetCustomStatus(status);
    }

    static int NewestSize(List<int> sizes, int kept)
    {
        int n = 0;
        for (int i = Math.Max(0, sizes.Count - kept); i < sizes.Count; i++)
        {
            n += sizes[i];
        }

        return n;
    }

    static List<T> Newest<T>(List<T> all, int kept) => all.Count > kept ? all[^kept..] : all.ToList();

    async Task TellOperatorsAsync(string subject, string detail)
    {
        try
        {
            await CallAsync(nameof(NotifyOperators), new OperatorNotice(IncidentId, subject, detail, plan?.Operators ?? []));
        }
        catch (TaskFailedException ex)
        {
            Record(TimelineSteps.OperatorAlertFailed, ex.FailureDetails.ErrorMessage);
        }
    }

    static string DescribeRestore(ContainmentRecord c) =>
        $"{(c.WasEnabled ? "account re-enabled" : "account left disabled (it was disabled before containment)")}, " +
        $"{c.RemovedGroups.Count} group memberships restored";
}
