#if SERVICE_BUS_TRIGGER
using Azure.Messaging.ServiceBus;
using Cordon.Behaviour;

namespace Cordon.Adapters.ServiceBus;

/// <summary>
/// The access-events Service Bus trigger; compiled only with -p:ServiceBusTrigger=true, like
/// RiskAlertTrigger. It only delegates to <see cref="TelemetryMessageHandler"/>.
/// </summary>
public sealed class AccessEventsTrigger(TelemetryMessageHandler handler)
{
    [Function(nameof(AccessEventsTrigger))]
    public Task Run(
        [ServiceBusTrigger("access-events", Connection = "ServiceBusConnection", AutoCompleteMessages = false)] ServiceBusReceivedMessage message,
        ServiceBusMessageActions actions,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        handler.HandleAsync(message, new ServiceBusSettlement(message, actions), client, cancellationToken);
}
#endif
