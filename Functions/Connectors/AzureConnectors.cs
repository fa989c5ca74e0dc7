using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Cordon.Connectors.Blob;
using Cordon.Connectors.Graph;
using Cordon.Connectors.Tables;
using Cordon.Notification.SendGrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cordon;

public static class AzureConnectors
{
    /// <summary>The production adapters: Graph, SendGrid, Blob evidence, Table site register (Service Bus events: see AddCordonIncidentEvents).</summary>
    public static IServiceCollection AddCordonAzureConnectors(this IServiceCollection services, IConfiguration configuration)
    {
        return services.AddCordonSendGrid(configuration).AddCordonGraph(configuration)
            .AddCordonBlobEvidence(configuration).AddCordonTableSiteRegister(configuration);
    }

    /// <summary>
    /// The identity every Azure adapter shares unless the host registered one: DefaultAzureCredential,
    /// the user-assigned managed identity named by AZURE_CLIENT_ID in Azure.
    /// </summary>
    internal static IServiceCollection TryAddCordonAzureCredential(this IServiceCollection services)
    {
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = Environment.GetEnvironmentVariable("AZURE_CLIENT_ID"),
        }));
        return services;
    }
}
