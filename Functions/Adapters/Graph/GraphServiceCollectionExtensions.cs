using Azure.Core;
using Cordon.Access;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Graph;

namespace Cordon.Adapters.Graph;

public static class GraphServiceCollectionExtensions
{
    /// <summary>
    /// Access control on Microsoft Graph: binds <see cref="GraphOptions"/> from <c>Cordon:Graph</c>,
    /// the shared <see cref="TokenCredential"/> (see <see cref="AzureConnectors.TryAddCordonAzureCredential"/>:
    /// <c>TenantId</c> and <c>ManagedIdentityClientId</c> of this section configure it), the <see cref="GraphServiceClient"/> and <see cref="IAccessControl"/> →
    /// <see cref="GraphAccessControl"/>, replacing any local access-control adapter.
    /// </summary>
    public static IServiceCollection AddCordonGraph(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAzureAdapter<IAccessControl, GraphAccessControl, GraphOptions>(configuration, GraphOptions.Section);
        services.TryAddSingleton(sp => GraphClients.Create(
            sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<IOptions<GraphOptions>>().Value));
        return services;
    }
}
