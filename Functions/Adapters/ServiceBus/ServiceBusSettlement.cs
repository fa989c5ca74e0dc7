#if SERVICE_BUS_TRIGGER
using Azure.Messaging.ServiceBus;
using Cordon.Intake;

namespace Cordon.Adapters.ServiceBus;

/// <summary>Settles one received message through the Functions worker's message actions (both triggers use it).</summary>
sealed class ServiceBusSettlement(ServiceBusReceivedMessage message, ServiceBusMessageActions actions) : IMessageSettlement
{
    public Task CompleteAsync(CancellationToken ct) => actions.CompleteMessageAsync(message, ct);

    public Task DeadLetterAsync(string reason, string description, CancellationToken ct) =>
        actions.DeadLetterMessageAsync(message, deadLetterReason: reason, deadLetterErrorDescription: description, cancellationToken: ct);

    public Task AbandonAsync(CancellationToken ct) => actions.AbandonMessageAsync(message, cancellationToken: ct);
}
#endif
