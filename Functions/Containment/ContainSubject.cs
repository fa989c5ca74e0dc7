using Cordon.Access;
using Cordon.Evidence;
using System.Text.Json;
using Cordon.Monitoring;

namespace Cordon.Containment;

/// <summary>
/// Reversible containment: revoke sign-in sessions, disable the account, drop privileged group
/// memberships, and kill the agent's sessions in client systems that offer it. The pre-containment
/// snapshot is stored write-once with the evidence before anything changes, so a retry after a crash
/// removes the same things and the record of what was removed stays exact. A numbered containment
/// (<see cref="ContainRequest.Sequence"/>) is itself recorded write-once: intake applies an incident's
/// first containment the moment the incident starts, and the incident's own step then finds it done.
/// </summary>
public sealed class ContainSubject(IAccessControl access, IEvidenceStore evidence, ClientSessionKiller sessionKiller, TimeProvider time, CordonMetrics metrics, ILogger<ContainSubject> logger)
    : TaskActivity<ContainRequest, ContainmentRecord>
{
    internal const string PlanItem = "containment-plan.json";

    const string Json = "application/json";

    /// <summary>The snapshot's custody entry: who took it and why.</summary>
    static readonly CustodyNote SnapshotNote = new("cordon/" + nameof(ContainSubject), "snapshot before containment");

    /// <summary>Written when intake's attempt at the first containment failed (the step then applies it at once).</summary>
    internal const string IntakeAttemptItem = "containment-1-intake-failed.json";

    sealed record IntakeAttempt(DateTime FailedAt, string Error);

    /// <summary>How long after the alert's arrival the incident's step leaves a first containment to intake before applying it itself (intake crashed).</summary>
    public static readonly TimeSpan IntakeLease = TimeSpan.FromSeconds(20);

    static class Takers
    {
        public const string Intake = "intake";
        public const string Incident = "incident";
    }

    /// <summary>The evidence item holding containment number <paramref name="sequence"/> of an incident, once applied.</summary>
    internal static string RecordItem(int sequence) => $"containment-{sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)}.json";

    [Function(nameof(ContainSubject))]
    public Task<ContainmentRecord> Run([ActivityTrigger] ContainRequest request) => RunAsync(ActivityContexts.For(nameof(ContainSubject)), request);

    public override async Task<ContainmentRecord> RunAsync(TaskActivityContext context, ContainRequest request)
    {
        ContainmentRecord record = (await ContainAsync(request, Takers.Incident, later: null, CancellationToken.None))!;
        return request.PreserveAlert is { } alert ? record with { Preserved = await TryPreserveAsync(request.IncidentId, alert) } : record;
    }

    /// <summary>
    /// The first alert's evidence, once its containment is recorded. Best effort: a store that fails here must not hold
    /// back the containment the incident shows, so it answers null and the incident preserves the evidence in its own step.
    /// </summary>
    async Task<IReadOnlyList<string>?> TryPreserveAsync(string incidentId, Alerts.RiskAlert alert)
    {
        try
        {
            return await PreserveEvidence.PreserveAlertAsync(evidence, access, incidentId, alert, PreserveEvidence.InitialAlert, "cordon/" + nameof(ContainSubject));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Incident {IncidentId}: its alert's evidence was not preserved with its containment ({Error}); the incident preserves it", incidentId, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Intake applying an incident's first containment the moment the incident starts: the snapshot is stored and the
    /// directory changed before this returns (the snapshot with its custody entry); the record of it is left in
    /// <paramref name="recording"/>, for intake to write after it answered. Before writing it, <paramref name="announce"/>
    /// (when given) publishes the opening; the record says whether it did (<see cref="ContainmentRecord.AnnouncedAtIntake"/>).
    /// Null when the incident's own step is applying it already (it took the snapshot first).
    /// </summary>
    public async Task<ContainmentRecord?> ContainAtIntakeAsync(ContainRequest request, Action<Func<Task>> recording, CancellationToken ct,
        Func<ContainmentRecord, Task<bool>>? announce = null)
    {
        try
        {
            var deferred = new DeferredRecord();
            ContainmentRecord? record = await ContainAsync(request, Takers.Intake, deferred, ct);
            recording(async () =>
            {
                try
                {
                    if (deferred.Record is { } toWrite)
                    {
                        if (announce is not null && await announce(toWrite))
                        {
                            toWrite = toWrite with { AnnouncedAtIntake = true };
                        }

                        // Either record stands (a race with the step applied the same changes, harmless twice).
                        await WriteOnceAsync(request.IncidentId, RecordItem(request.Sequence!.Value), JsonSerializer.SerializeToUtf8Bytes(toWrite, CordonJson.Options),
                            CustodyNote.ByStore, CancellationToken.None);
                    }
                }
                catch (Exception ex)
                {
                    await RecordIntakeFailureAsync(request, ex, CancellationToken.None);
                    throw;
                }
            });
            return record;
        }
        catch (Exception ex)
        {
            await RecordIntakeFailureAsync(request, ex, ct);
            throw;
        }
    }

    /// <summary>The record intake owes once it answered (null when it applied nothing: another taker's record stands).</summary>
    sealed class DeferredRecord
    {
        public ContainmentRecord? Record { get; set; }
    }

    /// <summary>Recorded, so the incident's step applies the containment at once instead of waiting out intake's lease.</summary>
    internal Task RecordIntakeFailureAsync(ContainRequest request, Exception ex, CancellationToken ct)
    {
        var failed = new IntakeAttempt(time.GetUtcNow().UtcDateTime, $"{ex.GetType().Name}: {ex.Message}");
        return evidence.PutAsync(request.IncidentId, IntakeAttemptItem, JsonSerializer.SerializeToUtf8Bytes(failed, CordonJson.Options), "application/json", ct);
    }

    /// <summary>
    /// Whether intake is (or is about to be) applying the first containment: it has not recorded a failure, the snapshot is
    /// not the step's, and its lease, counted from the alert's arrival, has not run out (a crash at intake costs that much).
    /// </summary>
    async Task<bool> IntakeStillAtItAsync(ContainRequest request, ContainmentPlan? taken, CancellationToken ct) =>
        request.ReceivedAt is { } receivedAt && time.GetUtcNow().UtcDateTime - receivedAt < IntakeLease &&
        (taken is null || taken.TakenBy == Takers.Intake) &&
        await evidence.FindAsync(request.IncidentId, IntakeAttemptItem, Json, CustodyNote.ByStore, ct) is null;

    /// <summary>
    /// Applies the containment, or returns the record of it when this numbered containment was applied already. With
    /// <paramref name="later"/>, the record that follows the change is left there for intake to write instead of written.
    /// </summary>
    async Task<ContainmentRecord?> ContainAsync(ContainRequest request, string taker, DeferredRecord? later, CancellationToken ct)
    {
        using IDisposable? scope = logger.BeginIncident(request.IncidentId);
        // The snapshot is stored before anything changes and the record after, so a record found means it was applied: the
        // step looks for the record first (usually intake's, found in one read) and for the snapshot only when there is none.
        // Intake contains an incident it has just started and does not read first: the step leaves the snapshot to intake
        // for its lease, and one stored meanwhile (the step after the lease, a racing first alert) is found by the
        // write-once upload in TakePlanAsync and stands.
        if (taker == Takers.Incident && request.Sequence is { } sequence && await evidence.FindAsync(request.IncidentId, RecordItem(sequence), Json, CustodyNote.ByStore, ct) is { } done)
        {
            return JsonSerializer.Deserialize<ContainmentRecord>(done, CordonJson.Options)!;
        }

        byte[]? storedPlan = taker == Takers.Intake ? null : await evidence.FindAsync(request.IncidentId, PlanItem, Json, SnapshotNote, ct);
        ContainmentPlan? taken = storedPlan is null ? null : JsonSerializer.Deserialize<ContainmentPlan>(storedPlan)!;
        if (taker == Takers.Incident && request is { Sequence: 1, IntakeContains: true } && await IntakeStillAtItAsync(request, taken, ct))
        {
            // One of the two applies it, so Graph's write budget is spent once: the step waits on a durable timer.
            throw new ContainmentUnderwayException($"intake is applying containment 1 of {request.IncidentId} (alert received {request.ReceivedAt:O})");
        }

        var (plan, ours) = taken is not null ? (taken, false) : await TakePlanAsync(request, taker, ct);
        if (taker == Takers.Intake && plan.TakenBy == Takers.Incident)
        {
            return null; // intake came after its lease: the incident's step is applying it
        }

        // Intake found another intake's snapshot (racing first alerts can both be told "started"): once that one recorded
        // the containment, this one changes nothing (access may have been restored since, after a false positive).
        if (taker == Takers.Intake && !ours && request.Sequence is { } number &&
            await evidence.FindAsync(request.IncidentId, RecordItem(number), Json, CustodyNote.ByStore, ct) is { } recorded)
        {
            return JsonSerializer.Deserialize<ContainmentRecord>(recorded, CordonJson.Options)!;
        }

        // Every change goes to the account the directory resolved the subject to, under its exact name.
        string account = plan.Account ?? request.UserPrincipalName;

        // Sessions first: it is the call that starts Entra's clock on already-issued tokens.
        var sessionKills = request.Clients.Where(c => !string.IsNullOrEmpty(c.SessionKillUrl))
            .Select(c => sessionKiller.KillAsync(c, request.IncidentId, account, ct)).ToList();
        await access.RevokeSessionsAsync(account, ct);
        await access.SetAccountEnabledAsync(account, false, ct);
        if (plan.GroupsToRemove.Count > 0)
        {
            await access.RemoveGroupMembershipsAsync(account, plan.GroupsToRemove, ct);
        }

        SessionKill[] kills = await Task.WhenAll(sessionKills);
        DateTime containedAt = time.GetUtcNow().UtcDateTime;
        var record = new ContainmentRecord(request.IncidentId, account, plan.WasEnabled, plan.GroupsToRemove, true, containedAt, kills);
        if (request.Sequence is { } applied)
        {
            if (later is not null)
            {
                later.Record = record; // intake writes it (as containment number request.Sequence) after answering
            }
            else if (await WriteOnceAsync(request.IncidentId, RecordItem(applied), JsonSerializer.SerializeToUtf8Bytes(record, CordonJson.Options), CustodyNote.ByStore, ct) is { } first)
            {
                // Intake and the incident raced and both applied it (the same changes, harmless twice): the first record stands.
                return JsonSerializer.Deserialize<ContainmentRecord>(first, CordonJson.Options)!;
            }
        }

        logger.LogInformation("Contained {Subject} for {IncidentId}: {Groups} groups removed", account, request.IncidentId, plan.GroupsToRemove.Count);
        if (request.ReceivedAt is { } receivedAt)
        {
            // Recorded here, not in the orchestrator (which replays): the same numbers the incident shows.
            DateTime exposureEndsBy = ExposureWindows.EndsBy(record, request.Exposure ?? new Dictionary<string, TimeSpan>(), request.Clients);
            metrics.Contained(containedAt - receivedAt, exposureEndsBy - containedAt);
        }

        return record;
    }

    /// <summary>Stores an item write-once; when another writer stored other bytes under the name first, returns theirs.</summary>
    async Task<byte[]?> WriteOnceAsync(string incidentId, string name, byte[] bytes, CustodyNote custody, CancellationToken ct)
    {
        try
        {
            await evidence.PutAsync(incidentId, name, bytes, "application/json", custody, ct);
            return null;
        }
        catch (InvalidOperationException)
        {
            byte[]? stored = await evidence.FindAsync(incidentId, name, Json, custody, ct);
            if (stored is null || stored.AsSpan().SequenceEqual(bytes))
            {
                throw; // not a lost race: the store refused for another reason
            }

            return stored;
        }
    }

    /// <summary>Takes the snapshot before anything changes (none is stored yet); a snapshot stored meanwhile by the other taker stands.</summary>
    async Task<(ContainmentPlan Plan, bool Ours)> TakePlanAsync(ContainRequest request, string taker, CancellationToken ct)
    {
        AccessSnapshot snapshot = await access.GetAccessAsync(request.UserPrincipalName, ct);
        if (!snapshot.Exists)
        {
            throw new InvalidOperationException($"account {request.UserPrincipalName} does not exist in the directory");
        }

        var groups = request.PrivilegedGroups.Count == 0
            ? snapshot.Groups.ToList()
            : snapshot.Groups.Where(g => request.PrivilegedGroups.Contains(g, StringComparer.OrdinalIgnoreCase)).ToList();
        var plan = new ContainmentPlan(snapshot.AccountEnabled, groups, snapshot.UserPrincipalName, taker, time.GetUtcNow().UtcDateTime);
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(plan);
        if (await WriteOnceAsync(request.IncidentId, PlanItem, bytes, SnapshotNote, ct) is { } first)
        {
            // Intake and the incident took the snapshot at the same time and one already changed something: the first stands.
            return (JsonSerializer.Deserialize<ContainmentPlan>(first)!, false);
        }

        return (plan, true);
    }
}
