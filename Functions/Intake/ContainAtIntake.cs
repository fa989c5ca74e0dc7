using System.Collections.Concurrent;
using Cordon.Containment;
using Cordon.Incidents;
using Cordon.Monitoring;
using Microsoft.Extensions.Hosting;

namespace Cordon.Intake;

/// <summary>
/// Contain first, ahead of the backend: once intake has started an incident whose plan auto-contains, it applies
/// the incident's first containment itself, so containment never queues behind other incidents' episodes and
/// follow-up work (a burst, a backlog on the Azure Storage queues). The incident exists before anything changes, and
/// its own first step still runs: it finds the containment recorded and changes nothing, or, when this attempt failed
/// (throttled, a crash, a directory error), applies it with its retries on durable timers.
/// The snapshot is stored and the directory changed before intake answers; the record of the containment is written
/// right after, beside the answer (the incident's step waits for it on a durable timer). A host stopping waits for
/// the records still being written; a crash before one is written costs the intake lease, after which the step applies
/// the same changes again and records them.
/// </summary>
/// <remarks>
/// Once the directory is changed, intake also publishes the incident's "opened" and "contained" events (same ids and
/// details as the incident's own, <see cref="OpeningNotices"/>) before writing the record, which says so: the incident
/// then skips its own announcing step. A failed publish leaves the record saying no, and the incident announces them;
/// a crash between the two announces them twice under the same ids (the topic's duplicate detection drops the second).
/// </remarks>
public sealed class ContainAtIntake(ContainSubject contain, ILogger<ContainAtIntake> logger, IIncidentEventPublisher? publisher = null, TimeProvider? time = null)
    : IHostedService
{
    readonly ConcurrentDictionary<Task, byte> recording = new();

    public async Task TryAsync(IncidentInput input)
    {
        if (FirstRequest(input) is not { } request)
        {
            return;
        }

        using System.Diagnostics.Activity? span = CordonTelemetry.Source.StartActivity(CordonTelemetry.ContainAtIntakeSpan);
        span?.SetTag(CordonTelemetry.IncidentIdTag, input.IncidentId);
        try
        {
            // Not the caller's token: a sender that hangs up mid-way must not leave containment half applied.
            await contain.ContainAtIntakeAsync(request, write => Record(input.IncidentId, write), CancellationToken.None,
                publisher is null ? null : record => AnnounceAsync(input, record));
        }
        catch (Exception ex)
        {
            // Not lost: the incident's own containment step applies it (a throttle waits there on a durable timer).
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            logger.LogWarning("Incident {IncidentId}: containment at intake did not complete ({Error}); the incident's containment step applies it", input.IncidentId, ex.Message);
        }
    }

    /// <summary>
    /// How long intake's publish may take. The record waits for it, and the incident's step waits for the record (up to
    /// intake's lease): a slow topic must not hold containment's record back, so past this the incident announces instead.
    /// </summary>
    public static readonly TimeSpan AnnounceWithin = TimeSpan.FromSeconds(5);

    /// <summary>Publishes the opening; false (the incident announces it) when the publish failed or took too long.</summary>
    async Task<bool> AnnounceAsync(IncidentInput input, Cordon.Containment.ContainmentRecord record)
    {
        try
        {
            DateTime at = (time ?? TimeProvider.System).GetUtcNow().UtcDateTime;
            using var bound = new CancellationTokenSource(AnnounceWithin);
            await publisher!.PublishAllAsync(OpeningNotices.AtIntake(input, input.Plan!, record, at), bound.Token);
            return true;
        }
        catch (Exception ex)
        {
            logger.LogWarning("Incident {IncidentId}: its opening was not announced at intake ({Error}); the incident announces it", input.IncidentId, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Intake started the incident but will not contain it (its check of the start failed, so it cannot tell whose plan
    /// the incident runs): the incident's step is told to apply its containment at once, not after intake's lease.
    /// </summary>
    public async Task HandOverAsync(IncidentInput input, Exception why)
    {
        if (FirstRequest(input) is not { } request)
        {
            return;
        }

        try
        {
            await contain.RecordIntakeFailureAsync(request, why, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning("Incident {IncidentId}: intake could not hand containment over ({Error}); the incident's step applies it after intake's lease", input.IncidentId, ex.Message);
        }
    }

    /// <summary>
    /// The incident's first containment when intake applies it; null when it does not. Intake decided when it built the
    /// input (IntakeContains), and the incident's step relies on that same decision.
    /// </summary>
    static ContainRequest? FirstRequest(IncidentInput input) =>
        input.IntakeContains && input.Plan is { } plan ? FirstContainment.Request(input, plan, input.Alert.Subject.UserPrincipalName) : null;

    void Record(string incidentId, Func<Task> write)
    {
        Task task = Task.Run(async () =>
        {
            try
            {
                await write();
            }
            catch (Exception ex)
            {
                logger.LogWarning("Incident {IncidentId}: the record of containment at intake was not written ({Error}); the incident's containment step records it", incidentId, ex.Message);
            }
        });
        recording.TryAdd(task, 0);
        task.ContinueWith(t => recording.TryRemove(t, out _), TaskScheduler.Default);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The records still being written are finished before the host stops (its shutdown bound still applies).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(recording.Keys).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Stopped with {Count} containment records at intake unwritten; those incidents' steps record them after the lease", recording.Count);
        }
    }
}
