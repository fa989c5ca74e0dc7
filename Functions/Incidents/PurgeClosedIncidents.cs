namespace Cordon.Incidents;

/// <summary>Cordon:Retention: how long a closed incident's orchestration history is kept (its evidence keeps its own retention).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Cordon:Retention";

    /// <summary>From the incident's close (its last update) to the purge of its orchestration history.</summary>
    public TimeSpan ClosedIncidentHistory { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>
/// Purges the orchestration history (instance and history rows) of incidents closed longer ago than the retention,
/// once sealed: completed with their report stored beside the evidence. Incidents that ended any other way
/// (terminated, failed, or without a report) are kept for operators. The report and the evidence stay in the
/// evidence store under its own retention; the incidents list then no longer shows the incident.
/// </summary>
public sealed class ClosedIncidentPurge(IOptions<RetentionOptions> options, TimeProvider time, ILogger<ClosedIncidentPurge> logger)
{
    public async Task<int> PurgeAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        DateTime cutoff = time.GetUtcNow().UtcDateTime - options.Value.ClosedIncidentHistory;
        // An incident closes after it opened: only those created before the cutoff can have closed before it.
        var query = new OrchestrationQuery(CreatedTo: cutoff, Statuses: [OrchestrationRuntimeStatus.Completed],
            InstanceIdPrefix: IncidentIds.Prefix, FetchInputsAndOutputs: false, PageSize: 500);
        var due = new List<string>();
        await foreach (OrchestrationMetadata m in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken))
        {
            if (m.LastUpdatedAt.UtcDateTime <= cutoff && IncidentQueries.StatusOf(m) is { Stage: Stages.Closed, ReportName: not null })
            {
                due.Add(m.InstanceId);
            }
        }

        int purged = 0;
        foreach (string id in due)
        {
            PurgeResult r = await client.PurgeInstanceAsync(id, cancellationToken);
            purged += r.PurgedInstanceCount;
        }

        if (purged > 0)
        {
            logger.LogInformation("Purged the orchestration history of {Count} incidents closed before {Cutoff:u}", purged, cutoff);
        }

        return purged;
    }
}

/// <summary>The purge on a schedule in Azure: every hour at minute 17.</summary>
public sealed class PurgeClosedIncidentHistory(ClosedIncidentPurge purge)
{
    [Function(nameof(PurgeClosedIncidentHistory))]
    public Task Run([TimerTrigger("0 17 * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        purge.PurgeAsync(client, cancellationToken);
}
