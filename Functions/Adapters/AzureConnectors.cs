using Azure.Core;
using Azure.Identity;
using Cordon.Adapters.Blob;
using Cordon.Adapters.Graph;
using Cordon.Adapters.Tables;
using Cordon.Monitoring;
using Cordon.Adapters.SendGrid;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cordon.Adapters;

public static class AzureConnectors
{
    /// <summary>The production adapters: Graph, SendGrid, Blob evidence, Table site register (Service Bus events: see AddCordonIncidentEvents).</summary>
    public static IServiceCollection AddCordonAzureConnectors(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddCordonSendGrid(configuration).AddCordonGraph(configuration)
            .AddCordonBlobEvidence(configuration).AddCordonTableSiteRegister(configuration)
            .AddCordonGraphGroupMembers(); // the roster's directory port (Cordon.Roster) on the same Graph client
        services.AddHealthChecks()
            .AddCheck<EvidenceStorageHealthCheck>("storage", timeout: ProbeTimeout)
            .AddCheck<DirectoryTokenHealthCheck>("directory", timeout: ProbeTimeout)
            .AddCheck<SendGridHealthCheck>("mail");
        return services;
    }

    static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The one identity every Azure adapter shares (Graph, Blob, Tables, Service Bus), registered by whichever
    /// registration runs first and always built from the same settings: DefaultAzureCredential with
    /// <c>Cordon:Graph:TenantId</c> and <c>Cordon:Graph:ManagedIdentityClientId</c> (else AZURE_CLIENT_ID, the
    /// user-assigned managed identity in Azure). A host or test may register its own first.
    /// </summary>
    internal static IServiceCollection TryAddCordonAzureCredential(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ => CredentialOptions(configuration));
        services.TryAddSingleton<TokenCredential>(sp => new DefaultAzureCredential(sp.GetRequiredService<DefaultAzureCredentialOptions>()));
        return services;
    }

    /// <summary>The credential's settings, from <c>Cordon:Graph</c>.</summary>
    public static DefaultAzureCredentialOptions CredentialOptions(IConfiguration configuration)
    {
        var graph = new GraphOptions();
        configuration.GetSection(GraphOptions.Section).Bind(graph);
        var options = new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = string.IsNullOrWhiteSpace(graph.ManagedIdentityClientId)
                ? Environment.GetEnvironmentVariable("AZURE_CLIENT_ID")
                : graph.ManagedIdentityClientId,
        };
        if (!string.IsNullOrWhiteSpace(graph.TenantId))
        {
            options.TenantId = graph.TenantId;
        }

        return options;
    }
}

/// <summary>The evidence container answers (and exists).</summary>
public sealed class EvidenceStorageHealthCheck(BlobEvidenceStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            bool exists = await store.Container.ExistsAsync(cancellationToken);
            return exists ? HealthCheckResult.Healthy($"evidence container {store.Container.Name} reachable")
                : HealthCheckResult.Unhealthy($"evidence container {store.Container.Name} does not exist");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"evidence storage unreachable: {HealthApi.Reason(ex)}");
        }
    }
}

/// <summary>A Graph token can be had with the app's identity (cached by the credential between probes).</summary>
public sealed class DirectoryTokenHealthCheck(TokenCredential credential, IOptions<GraphOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Uri graph = options.Value.BaseUri;
        try
        {
            AccessToken token = await credential.GetTokenAsync(new TokenRequestContext([$"{graph.Scheme}://{graph.Authority}/.default"]), cancellationToken);
            return HealthCheckResult.Healthy($"token for {graph.Authority} valid until {token.ExpiresOn:u}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"no token for {graph.Authority}: {HealthApi.Reason(ex)}");
        }
    }
}

/// <summary>SendGrid is configured (the key itself is validated at start-up and never shown).</summary>
public sealed class SendGridHealthCheck(IOptions<SendGridOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy($"SendGrid, sender {options.Value.From}"));
}
