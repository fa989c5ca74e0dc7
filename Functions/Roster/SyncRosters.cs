namespace Cordon.Roster;

/// <summary>
/// The roster's schedule in Azure: every five minutes each site whose <see cref="RosterOptions.SyncInterval"/> has
/// passed, or whose sync is under way or was throttled, is synced (the local host runs the same on a background service).
/// </summary>
public sealed class SyncRosters(RosterSync sync)
{
    [Function(nameof(SyncRosters))]
    public Task Run([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        sync.SyncDueAsync(cancellationToken);
}
