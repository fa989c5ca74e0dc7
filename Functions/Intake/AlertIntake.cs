using Cordon.Alerts;
using System.Diagnostics;
using Cordon.Incidents;
using Cordon.Monitoring;
using Cordon.Policy;

namespace Cordon.Intake;

public static class IntakeOutcomes
{
    public const string Started = "started";
    public const string Merged = "merged";
    public const string Duplicate = "duplicate";
}

public sealed record IntakeResult(string IncidentId, string Outcome);

/// <summary>
/// The one way an alert enters Cordon, whatever carried it (HTTP, Service Bus, the monitor):
/// a re-sent alert is a duplicate and starts nothing; an alert for a subject with an open incident
/// is merged into it; otherwise a new incident starts. Safe under concurrent and repeated delivery.
/// A new incident is triaged here (pure policy over the alert and the world) and starts with its plan,
/// so its first orchestration episode schedules containment.
/// </summary>
public sealed class AlertIntake(TimeProvider time, CordonMetrics metrics, ILogger<AlertIntake> logger,
    Cordon.Configuration.LiveConfiguration configuration, Cordon.Roster.SiteRoster? roster = null, ContainAtIntake? containAtIntake = null,
    Cordon.Evidence.IEvidenceStore? evidence = null, IntakeInFlight? inFlight = null)
{
    const int MaxAttempts = 8;

    static readonly OrchestrationRuntimeStatus[] AnyStatus =
    [
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated,
    ];

    /// <summary>
    /// Runs inside a "Cordon" span: the Durable Task client carries its trace context into the new
    /// orchestration, so the incident's steps join the intake's trace.
    /// </summary>
    public async Task<IntakeResult> SubmitAsync(DurableTaskClient client, RiskAlert alert, CancellationToken cancellationToken)
    {
        using Activity? span = CordonTelemetry.Source.StartActivity(CordonTelemetry.IntakeSpan);
        using IntakeInFlight.Scope? busy = inFlight?.Enter();
        span?.SetTag(CordonTelemetry.AlertIdTag, alert.AlertId);
        span?.SetTag(CordonTelemetry.AlertSourceTag, alert.Source);
        using IDisposable? scope = logger.BeginScope(new Dictionary<string, object> { ["AlertId"] = alert.AlertId, ["AlertSource"] = alert.Source });
        string key = AlertKeys.Of(alert);
        string digest = AlertDigest.Of(key);
        string prefix = IncidentIds.SubjectPrefix(alert.Subject.UserPrincipalName);
        string subject = Cordon.World.SubjectIdentity.Canonical(alert.Subject.UserPrincipalName);
        for (int attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var all = await ListAsync(client, prefix, cancellationToken);
            // The prefix is 48 bits of the subject's hash: another subject may share it (by chance, or found on purpose).
            // Their incidents take part in the numbering only, never in a merge or a duplicate.
            var incidents = all.Where(i => i.Subject is null || i.Subject == subject).ToList();
            if (incidents.FirstOrDefault(i => i.AlertIds.Contains(key) || i.Digests.Contains(digest)) is { } seen)
            {
                return Result(seen.Id, IntakeOutcomes.Duplicate, alert);
            }

            if (await PreservedInAsync(all, incidents, prefix, alert, cancellationToken) is { } preserved)
            {
                return Result(preserved, IntakeOutcomes.Duplicate, alert);
            }

            // An incident whose outcome is final (closing) takes no alert: the alert opens the next incident.
            if (incidents.FirstOrDefault(i => i.IsOpen && !i.Closing) is { } open)
            {
                await client.RaiseEventAsync(open.Id, IncidentEvents.AlertMerged, alert, cancellationToken);
                busy?.Dispose(); // waiting for the incident's episode: not intake's own work
                if (await TakenAsync(client, open.Id, key, digest, cancellationToken))
                {
                    return Result(open.Id, IntakeOutcomes.Merged, alert);
                }

                // The incident closed (or began closing) without taking it: place it again, in a new incident.
                logger.LogInformation("Incident {IncidentId} closed without alert {AlertId}; placing it again", open.Id, alert.AlertId);
                continue;
            }

            int next = all.Count == 0 ? 1 : all.Max(i => i.Sequence) + 1;
            var (id, purgedWithIt) = await UnusedIdAsync(client, prefix, next, alert, cancellationToken);
            if (purgedWithIt is not null)
            {
                return Result(purgedWithIt, IntakeOutcomes.Duplicate, alert); // taken by an incident whose history was purged since
            }

            span?.SetTag(CordonTelemetry.IncidentIdTag, id);
            try
            {
                ResponsePlan plan = TriageAlert.Plan(alert, configuration.Current);
                if (roster is not null)
                {
                    plan = await TriageAlert.WithRosterAsync(plan, alert, roster, cancellationToken); // site counts from the roster; a subject not on it is flagged
                }

                var input = new IncidentInput(id, alert, time.GetUtcNow().UtcDateTime, plan, IntakeContains: containAtIntake is not null && FirstContainment.CalledFor(plan),
                    OpeningInOneCall: true, EmptyStepsEscalateAtOnce: true);
                await client.ScheduleNewOrchestrationInstanceAsync(new TaskName(IncidentWorkflow.Current), input,
                    new StartOrchestrationOptions(id).WithDedupeStatuses(AnyStatus), cancellationToken);
                // Started: from here the intake finishes its work (the check and containment) even if its caller hangs up.
                bool startedWithThis, sameSubject;
                try
                {
                    (startedWithThis, sameSubject) = await StartedWithAsync(client, id, alert, key, CancellationToken.None);
                }
                catch (Exception ex) when (input.IntakeContains)
                {
                    // Not acknowledged (sent again, it is a duplicate or a merge); the incident runs, and contains at once.
                    await containAtIntake!.HandOverAsync(input, ex);
                    throw;
                }

                if (startedWithThis)
                {
                    if (input.IntakeContains)
                    {
                        await containAtIntake!.TryAsync(input); // contained before the answer, whatever the backend's backlog
                    }

                    return Result(id, IntakeOutcomes.Started, alert);
                }

                if (!sameSubject)
                {
                    // Another subject sharing the id's hash started it first: that incident does not take this alert (the
                    // merge sent is refused there); looked at again, its incidents are left out and the next id is used.
                    logger.LogInformation("Incident {IncidentId} was started by another subject sharing its hash; placing alert {AlertId} again", id, alert.AlertId);
                    continue;
                }

                // Another first alert became the incident's input: this one was delivered to it as a merge.
                busy?.Dispose(); // waiting for the incident's episode: not intake's own work
                if (await TakenAsync(client, id, key, digest, CancellationToken.None))
                {
                    return Result(id, IntakeOutcomes.Merged, alert);
                }

                logger.LogInformation("Incident {IncidentId} closed without alert {AlertId}; placing it again", id, alert.AlertId);
            }
            catch (Exception ex) when (IsAlreadyExists(ex))
            {
                // Another delivery won the race for this id: look again, it is now a merge or a duplicate.
                logger.LogDebug("Incident {IncidentId} was started concurrently; re-reading (attempt {Attempt})", id, attempt);
            }
        }

        throw new InvalidOperationException($"could not place alert {alert.AlertId} after {MaxAttempts} attempts: incidents of this subject keep changing");
    }

    /// <summary>
    /// The first id from <paramref name="next"/> on that no purged incident used. A closed incident's history is purged
    /// after its retention while its evidence stays (for years): its id is gone from the store's list but not from the
    /// evidence, and a new incident under it would find the old containment record and believe itself contained. Evidence
    /// under an id whose instance exists is not a purge but a concurrent first alert that started it since this intake
    /// listed: that id is returned, its start is refused as a duplicate, and the alert is placed again (a merge).
    /// </summary>
    async Task<(string Id, string? PurgedWithIt)> UnusedIdAsync(DurableTaskClient client, string prefix, int next, RiskAlert alert, CancellationToken cancellationToken)
    {
        while (true)
        {
            string id = prefix + next.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (evidence is null || await evidence.HeadAsync(id, cancellationToken) is null || await client.GetInstanceAsync(id, cancellationToken) is not null)
            {
                return (id, null);
            }

            // The purged incident's evidence still holds every alert it took: the same alert sent again is a duplicate
            // (a resubmitted dead letter must not contain a person again whose incident was closed).
            if (await HoldsAlertAsync(evidence, id, alert, cancellationToken))
            {
                return (id, id);
            }

            logger.LogInformation("Incident {IncidentId} was purged but its evidence is kept: the subject's next incident takes the next id", id);
            next++;
        }
    }

    IntakeResult Result(string id, string outcome, RiskAlert alert)
    {
        Activity.Current?.SetTag(CordonTelemetry.IntakeOutcomeTag, outcome);
        using IDisposable? scope = logger.BeginIncident(id);
        metrics.AlertAccepted(outcome);
        logger.LogInformation("Alert {AlertId} from {Source}: {Outcome} {IncidentId}", alert.AlertId, alert.Source, outcome, id);
        return new IntakeResult(id, outcome);
    }

    static bool IsAlreadyExists(Exception ex) =>
        (ex is Grpc.Core.RpcException rpc && rpc.StatusCode == Grpc.Core.StatusCode.AlreadyExists) ||
        (ex is InvalidOperationException && ex.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Whether the incident just scheduled started with this alert. Scheduling is not atomic on every backend:
    /// the Azure Storage provider looks for the id and then sends the start message, so concurrent first alerts
    /// of a subject may all "schedule" the same new incident, and only one start message becomes its input (the
    /// others are dropped). So the alert is also delivered as a merge (the incident ignores an alert it already
    /// has: one effect either way), and the instance's input, read once, says which alert started it. When a
    /// racing start wrote its input last but lost at the engine, this alert's answer says "started" for an
    /// incident that took it by the merge: the alert is acted on in the incident named either way.
    /// </summary>
    static async Task<(bool WithThis, bool SameSubject)> StartedWithAsync(DurableTaskClient client, string id, RiskAlert alert, string key, CancellationToken cancellationToken)
    {
        // The merge and the read are independent (the input was written by the schedule call before): one round trip, not two.
        Task merge = client.RaiseEventAsync(id, IncidentEvents.AlertMerged, alert, cancellationToken);
        Task<OrchestrationMetadata?> read = client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        await Task.WhenAll(merge, read);
        OrchestrationMetadata? m = await read;
        if (m?.SerializedInput is null || m.ReadInputAs<IncidentInput>() is not { } started)
        {
            return (true, true);
        }

        // Another subject sharing the id's hash (48 bits) may have raced this one for the id. Left open: this alert's input
        // written last while that subject's start won at the engine (as above) answers "started" for an incident that
        // refuses this alert's merge, leaving it in no incident (two such subjects' first alerts at the same moment).
        return (AlertKeys.Of(started.Alert) == key, Cordon.World.SubjectIdentity.Same(started.Alert.Subject.UserPrincipalName, alert.Subject.UserPrincipalName));
    }

    /// <summary>How long intake waits for an incident to show that it took a merged alert.</summary>
    public TimeSpan MergeConfirmation { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A "merged" answer is only given for an alert the incident took: an incident can stop taking alerts
    /// (its outcome final) or complete between intake's look and the event's arrival, and an event for a
    /// completed orchestration is dropped. So intake watches the incident until its status lists the alert
    /// (taken), or it is closing or completed without it (not taken: placed again). An incident still open
    /// and not closing when the wait ends is not proof: the event may be queued behind the step that closes it
    /// (a backlog, a crashed worker's messages), and then it is handed on with nobody left to place it. So the
    /// alert is not acknowledged (<see cref="MergeNotConfirmedException"/>: 503 over HTTP, a redelivery on Service
    /// Bus); sent again, it is a duplicate once taken, or placed anew if the incident closed without it.
    /// </summary>
    async Task<bool> TakenAsync(DurableTaskClient client, string id, string key, string digest, CancellationToken cancellationToken)
    {
        DateTime until = time.GetUtcNow().UtcDateTime + MergeConfirmation;
        int delayMs = 10;
        while (true)
        {
            OrchestrationMetadata? m = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
            if (m is null)
            {
                return false;
            }

            IncidentStatus? status = m.SerializedCustomStatus is null ? null : m.ReadCustomStatusAs<IncidentStatus>();
            if (status is not null && (status.AlertIds.Contains(key) || status.AlertDigests.Contains(digest)))
            {
                return true;
            }

            if (!IncidentQueries.IsOpen(m.RuntimeStatus))
            {
                return IncidentQueries.ResultOf(m) is { AlertKeys: { } keys } && keys.Contains(key);
            }

            if (status?.ClosingAt is not null)
            {
                return false;
            }

            if (time.GetUtcNow().UtcDateTime >= until)
            {
                logger.LogWarning("Incident {IncidentId} has not shown alert {AlertKey} within {Wait}; the alert is not acknowledged, to be sent again", id, key, MergeConfirmation);
                throw new MergeNotConfirmedException($"incident {id} has not shown alert {key} as taken within {MergeConfirmation.TotalSeconds:0.#} s (its steps are queued behind other work)");
            }

            await Task.Delay(delayMs, cancellationToken);
            delayMs = Math.Min(delayMs * 2, 200);
        }
    }

    /// <summary>
    /// The incident among <paramref name="incidents"/> that took <paramref name="alert"/> though its status no longer lists it:
    /// an incident's status lists only its newest alerts (and a closing one's output is not written yet), so an older alert
    /// delivered again is looked for in the evidence each incident preserves for every alert it takes. Found by an attack:
    /// merged again, it waited for a status that never listed it and was abandoned on every delivery; while its incident
    /// was closing it opened a second incident, which contained the person just judged a false positive. Only incidents
    /// whose status left alerts out are read. An alert whose evidence is still queued is merged again, and acknowledged
    /// once that evidence is in. So are the subject's purged incidents below its latest (a gap in the numbering: their
    /// history is gone, their evidence kept), the <see cref="PurgedLooked"/> most recent of them (found by an attack: a
    /// purged incident's alert sent again opened a new incident and contained the person again).
    /// </summary>
    async Task<string?> PreservedInAsync(List<Known> all, List<Known> incidents, string prefix, RiskAlert alert, CancellationToken cancellationToken)
    {
        if (evidence is null)
        {
            return null;
        }

        var used = all.Select(i => i.Sequence).ToHashSet();
        IEnumerable<string> purged = Enumerable.Range(1, used.Count == 0 ? 0 : used.Max()).Reverse().Where(n => !used.Contains(n)).Take(PurgedLooked)
            .Select(n => prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (string id in incidents.Where(i => i.ListsFewerAlerts).Select(i => i.Id).Concat(purged))
        {
            if (await HoldsAlertAsync(evidence, id, alert, cancellationToken))
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>Whether incident <paramref name="id"/>'s evidence holds <paramref name="alert"/>: every alert an incident takes is preserved under its name.</summary>
    static async Task<bool> HoldsAlertAsync(Cordon.Evidence.IEvidenceStore evidence, string id, RiskAlert alert, CancellationToken cancellationToken) =>
        await evidence.GetAsync(id, Cordon.Evidence.EvidenceNames.AlertItem(alert.Source, alert.AlertId), cancellationToken) is not null;

    /// <summary>How many of a subject's purged incidents below its latest an alert is looked for in, most recent first.</summary>
    const int PurgedLooked = 32;

    /// <summary>
    /// An incident under the subject's prefix; Subject (canonical) is null when its input could not be read. ListsFewerAlerts:
    /// its status counts more alerts than it lists, and no output lists them all.
    /// </summary>
    sealed record Known(string Id, int Sequence, bool IsOpen, bool Closing, HashSet<string> AlertIds, HashSet<string> Digests, string? Subject,
        bool ListsFewerAlerts = false);

    static async Task<List<Known>> ListAsync(DurableTaskClient client, string prefix, CancellationToken cancellationToken)
    {
        var list = new List<Known>();
        var query = new OrchestrationQuery { InstanceIdPrefix = prefix, FetchInputsAndOutputs = true, PageSize = 100 };
        await foreach (OrchestrationMetadata m in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken))
        {
            if (!int.TryParse(m.InstanceId.AsSpan(prefix.Length), out int seq))
            {
                continue;
            }

            var ids = new HashSet<string>(StringComparer.Ordinal);
            var digests = new HashSet<string>(StringComparer.Ordinal);
            bool closing = false, listsFewer = false;
            string? subject = null;
            if (m.SerializedInput is not null && m.ReadInputAs<IncidentInput>() is { } input)
            {
                ids.Add(AlertKeys.Of(input.Alert));
                subject = Cordon.World.SubjectIdentity.Canonical(input.Alert.Subject.UserPrincipalName);
            }

            // The status lists the newest alerts (bounded); a closed incident's output lists every alert it took.
            if (m.SerializedCustomStatus is not null && m.ReadCustomStatusAs<IncidentStatus>() is { } status)
            {
                ids.UnionWith(status.AlertIds);
                digests.UnionWith(status.AlertDigests);
                closing = status.ClosingAt is not null;
                listsFewer = status.AlertCount > status.AlertDigests.Count;
            }

            // Only a completed incident's output is its result (IncidentQueries.ResultOf).
            if (IncidentQueries.ResultOf(m) is { AlertKeys: { } keys })
            {
                ids.UnionWith(keys);
                listsFewer = false;
            }

            bool open = IncidentQueries.IsOpen(m.RuntimeStatus);
            list.Add(new Known(m.InstanceId, seq, open, closing, ids, digests, subject, listsFewer));
        }

        return list;
    }
}

/// <summary>
/// An alert delivered to an open incident that has not shown it as taken in time: not acknowledged, so its producer sends
/// it again (a <see cref="TimeoutException"/>: the store is slow, the answer is a 503 with Retry-After).
/// </summary>
public sealed class MergeNotConfirmedException(string message) : TimeoutException(message);
