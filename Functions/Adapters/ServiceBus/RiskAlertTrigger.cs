#if SERVICE_BUS_TRIGGER
using Azure.Messaging.ServiceBus;
using Cordon.Intake;

namespace Cordon.Adapters.ServiceBus;

/// <summary>
/// The Service Bus trigger; compiled only with -p:ServiceBusTrigger=true (its extension package is
/// not in every registry). It only delegates to <see cref="AlertMessageHandler"/>.
/// </summary>
public sealed class RiskAlertTrigger(AlertMessageHandler handler)
{
    [Function(nameof(RiskAlertTrigger))]
    public Task Run(
        [ServiceBusTrigger("risk-alerts", Connection = "ServiceBusConnection", AutoCompleteMessages = false)] ServiceBusReceivedMessage message,
        ServiceBusMessageActions actions,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        handler.HandleAsync(message, new ServiceBusSettlement(message, actions), client, cancellationToken);
}
#endif
