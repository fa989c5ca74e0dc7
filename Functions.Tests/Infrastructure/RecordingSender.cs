using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace Cordon.Tests;

/// <summary>A sender standing in for the incident-events topic: records what the SDK would have sent.</summary>
public sealed class RecordingSender : ServiceBusSender
{
    public ConcurrentQueue<ServiceBusMessage> Sent { get; } = new();

    public override string EntityPath => "incident-events";

    public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
    {
        Sent.Enqueue(message);
        return Task.CompletedTask;
    }

    public override Task SendMessagesAsync(IEnumerable<ServiceBusMessage> messages, CancellationToken cancellationToken = default)
    {
        foreach (ServiceBusMessage m in messages)
        {
            Sent.Enqueue(m);
        }

        return Task.CompletedTask;
    }
}
