using Azure.Core;
using Azure.Messaging.ServiceBus;
using Cordon.Incidents;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cordon.Adapters.Events;

public static class IncidentEventsServiceCollectionExtensions
{
    /// <summary>
    /// Incident lifecycle events: binds <see cref="IncidentEventOptions"/> from <c>Cordon:Events</c>
    /// (validated at start-up) and registers <see cref="IncidentEventPublisher"/>. When a topic is
    /// configured, a <see cref="ServiceBusSender"/> for it (managed identity on the namespace, or the
    /// connection string); otherwise the publisher logs.
    /// </summary>
    public static IServiceCollection AddCordonIncidentEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAdapterOptions<IncidentEventOptions>(configuration, IncidentEventOptions.Section);

        var configured = new IncidentEventOptions();
        configuration.GetSection(IncidentEventOptions.Section).Bind(configured);
        if (configured.Configured)
        {
            if (string.IsNullOrWhiteSpace(configured.ConnectionString))
            {
                services.TryAddCordonAzureCredential(configuration);
            }

            services.TryAddSingleton(sp =>
            {
                IncidentEventOptions o = sp.GetRequiredService<IOptions<IncidentEventOptions>>().Value;
                return string.IsNullOrWhiteSpace(o.ConnectionString)
                    ? new ServiceBusClient(o.FullyQualifiedNamespace, sp.GetRequiredService<TokenCredential>())
                    : new ServiceBusClient(o.ConnectionString);
            });
            services.TryAddSingleton(sp => sp.GetRequiredService<ServiceBusClient>().CreateSender(sp.GetRequiredService<IOptions<IncidentEventOptions>>().Value.Topic));
        }

        services.TryAddSingleton<IncidentEventPublisher>();
        services.TryAddSingleton<IIncidentEventPublisher>(sp => sp.GetRequiredService<IncidentEventPublisher>());
        return services;
    }
}
