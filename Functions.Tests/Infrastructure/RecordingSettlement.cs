using Azure.Messaging.ServiceBus;
using Cordon.Intake;

namespace Cordon.Tests;

/// <summary>
/// Stands in for Service Bus message actions: records what a handler settled on — "complete",
/// "dead-letter:{reason}:{description}" or "abandon" — in order.
/// </summary>
public sealed class RecordingSettlement : IMessageSettlement
{
    public List<string> Calls { get; } = [];

    public Task CompleteAsync(CancellationToken cancellationToken) { Calls.Add("complete"); return Task.CompletedTask; }

    public Task DeadLetterAsync(string reason, string description, CancellationToken cancellationToken) { Calls.Add($"dead-letter:{reason}:{description}"); return Task.CompletedTask; }

    public Task AbandonAsync(CancellationToken cancellationToken) { Calls.Add("abandon"); return Task.CompletedTask; }

    /// <summary>A first delivery of <paramref name="body"/>, built as the Service Bus client would hand it over.</summary>
    public static ServiceBusReceivedMessage FirstDelivery(string body) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(BinaryData.FromString(body), messageId: Guid.NewGuid().ToString(), deliveryCount: 1);
}
