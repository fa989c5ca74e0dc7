#if SERVICE_BUS_TRIGGER
using Azure.Messaging.ServiceBus;
using Cordon.Behaviour;
using Cordon.Intake;

namespace Cordon.Adapters.ServiceBus;

/// <summary>
/// The Service Bus triggers: risk alerts and access events. Compiled only with -p:ServiceBusTrigger=true (the
/// extension package is not in every registry). Each function only hands its message, with the worker's message
/// actions to settle it, to its handler (<see cref="AlertMessageHandler"/>, <see cref="TelemetryMessageHandler"/>).
/// </summary>
public sealed class ServiceBusTriggers(AlertMessageHandler alerts, TelemetryMessageHandler telemetry)
{
    const string Connection = "ServiceBusConnection";

    [Function(nameof(RiskAlertTrigger))]
    public Task RiskAlertTrigger(
        [ServiceBusTrigger(AlertMessageHandler.Queue, Connection = Connection, AutoCompleteMessages = false)] ServiceBusReceivedMessage message,
        ServiceBusMessageActions actions,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        alerts.HandleAsync(message, new ServiceBusSettlement(message, actions), client, cancellationToken);

    [Function(nameof(AccessEventsTrigger))]
    public Task AccessEventsTrigger(
        [ServiceBusTrigger(TelemetryMessageHandler.Queue, Connection = Connection, AutoCompleteMessages = false)] ServiceBusReceivedMessage message,
        ServiceBusMessageActions actions,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        telemetry.HandleAsync(message, new ServiceBusSettlement(message, actions), client, cancellationToken);
}
#endif
