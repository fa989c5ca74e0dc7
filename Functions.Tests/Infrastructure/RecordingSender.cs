using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace Cordon.Tests;

/// <summary>A sender standing in for the incident-events topic: records what the SDK would have sent.</summary>
public sealed class RecordingSender : ServiceBusSender
{
    public ConcurrentQueue<ServiceBusMessage> Sent { get; } = new();

    /// <summary>Each call's messages, in call order (a list sent in one call is one entry).</summary>
    public ConcurrentQueue<IReadOnlyList<ServiceBusMessage>> Calls { get; } = new();

    public override string EntityPath => "incident-events";

    public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
    {
        Sent.Enqueue(message);
        Calls.Enqueue([message]);
        return Task.CompletedTask;
    }

    public override Task SendMessagesAsync(IEnumerable<ServiceBusMessage> messages, CancellationToken cancellationToken = default)
    {
        List<ServiceBusMessage> call = messages.ToList();
        foreach (ServiceBusMessage m in call)
        {
            Sent.Enqueue(m);
        }

        Calls.Enqueue(call);

        return Task.CompletedTask;
    }
}
