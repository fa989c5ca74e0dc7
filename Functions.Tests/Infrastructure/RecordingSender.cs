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

    /// <summary>How many of the first send calls fail (the topic unreachable), sending nothing.</summary>
    public int FailFirstCalls { get; init; }

    /// <summary>Whether the failing first calls hang until cancelled (a topic that does not answer) instead of failing at once.</summary>
    public bool Hang { get; init; }

    int calls;

    async Task FailIfAskedAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref calls) <= FailFirstCalls)
        {
            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            throw new ServiceBusException("test: the topic is unreachable", ServiceBusFailureReason.ServiceCommunicationProblem);
        }
    }

    public override async Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
    {
        await FailIfAskedAsync(cancellationToken);
        Sent.Enqueue(message);
        Calls.Enqueue([message]);
    }

    public override async Task SendMessagesAsync(IEnumerable<ServiceBusMessage> messages, CancellationToken cancellationToken = default)
    {
        await FailIfAskedAsync(cancellationToken);
        List<ServiceBusMessage> call = messages.ToList();
        foreach (ServiceBusMessage m in call)
        {
            Sent.Enqueue(m);
        }

        Calls.Enqueue(call);
    }
}
