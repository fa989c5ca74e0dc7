using Cordon.Roster;
using Microsoft.Extensions.Options;

namespace Cordon.Local;

/// <summary>
/// The local host's schedule for <see cref="RosterSync"/> (a Timer trigger in Azure): at start, then every
/// <see cref="RosterOptions.SyncInterval"/> or sooner when a sync was cut short, against the simulated directory.
/// </summary>
public sealed class RosterSyncService(RosterSync sync, IOptions<RosterOptions> options, ILogger<RosterSyncService> logger) : BackgroundService
{
    static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan next = options.Value.SyncInterval;
                try
                {
                    IReadOnlyList<RosterSyncResult> results = await sync.SyncDueAsync(stoppingToken);
                    if (results.Any(r => !r.Completed))
                    {
                        // Cut short (throttled or the page limit): come back when the directory allows, not a whole interval later.
                        TimeSpan wait = results.Where(r => !r.Completed).Max(r => r.RetryAfter ?? Soon);
                        next = wait < next ? wait : next;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Roster sync failed; the next run resumes where it stopped");
                }

                await Task.Delay(next, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // the host is stopping
        }
    }
}
