using Microsoft.Extensions.Configuration;
using Cordon.Connectors.Graph;
using Cordon.Notification.SendGrid;
using Microsoft.Extensions.DependencyInjection;

namespace Cordon;

public static class AzureConnectors
{
    /// <summary>The production adapters: Graph, SendGrid, Blob evidence, Table site register, Service Bus events.</summary>
    public static IServiceCollection AddCordonAzureConnectors(this IServiceCollection services, IConfiguration configuration)
    {
        return services.AddCordonSendGrid(configuration).AddCordonGraph(configuration);
    }
}
