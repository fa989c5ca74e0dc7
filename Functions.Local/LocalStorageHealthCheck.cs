using Azure.Storage.Blobs;
using Cordon.Monitoring;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cordon.Local;

/// <summary>The local host's storage: Azurite answering (with --store azurite), else the data directory writable.</summary>
public sealed class LocalStorageHealthCheck(LocalSettings settings) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (settings.Store == StoreKind.Azurite)
            {
                await new BlobServiceClient(settings.StorageConnectionString).GetPropertiesAsync(cancellationToken);
                return HealthCheckResult.Healthy("Azurite reachable");
            }

            string probe = Path.Combine(settings.DataDir, ".health");
            await File.WriteAllTextAsync(probe, DateTimeOffset.UtcNow.ToString("O"), cancellationToken);
            return HealthCheckResult.Healthy($"data directory {settings.DataDir} writable");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"storage unavailable: {HealthApi.Reason(ex)}");
        }
    }
}
