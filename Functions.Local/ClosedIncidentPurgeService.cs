using Cordon.Incidents;
using Microsoft.DurableTask.Client;

namespace Cordon.Local;

/// <summary>The local host's schedule for <see cref="ClosedIncidentPurge"/> (a Timer trigger in Azure): every hour, first a minute after start.</summary>
public sealed class ClosedIncidentPurgeService(ClosedIncidentPurge purge, DurableTaskClient client, ILogger<ClosedIncidentPurgeService> logger) : BackgroundService
{
    static readonly TimeSpan FirstRun = TimeSpan.FromMinutes(1);
    static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(FirstRun, stoppingToken);
            using var timer = new PeriodicTimer(Interval);
            do
            {
                try
                {
                    await purge.PurgeAsync(client, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Purge of closed incidents' history failed; the next run tries again");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // the host is stopping
        }
    }
}
