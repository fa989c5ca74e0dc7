using Azure.Messaging.ServiceBus;
using Cordon.Monitoring;

namespace Cordon.Intake;

/// <summary>
/// How a Service Bus message handler settles a message, written once for alerts and access telemetry. Every
/// dead-letter Cordon makes is counted (<see cref="CordonMetrics.MessagesDeadLettered"/>, by queue and reason), so an
/// alert rule sees it.
/// </summary>
public sealed class MessageSettler(IOptions<MessageRedeliveryOptions> options, TimeProvider time, CordonMetrics metrics, ILogger<MessageSettler> logger)
{
    /// <summary>The dead-letter reason of a valid message whose hand-on failed on every delivery.</summary>
    public const string IntakeFailed = "IntakeFailed";

    /// <summary>How far before the message's lock expires a pause must end (the abandon itself is a call to the broker).</summary>
    public static readonly TimeSpan LockMargin = TimeSpan.FromSeconds(10);

    /// <summary>Bad input will never get better: dead-letters the message with its reasons.</summary>
    public async Task<Settlement> DeadLetterInvalidAsync(IMessageSettlement settlement, string queue, string reason, string description, CancellationToken cancellationToken)
    {
        await settlement.DeadLetterAsync(reason, Capped(description), cancellationToken);
        metrics.MessageDeadLettered(queue, reason);
        return Settlement.DeadLettered;
    }

    /// <summary>
    /// Hands the message's content on and completes it. A failure (other than this host stopping) before the message's
    /// last delivery abandons it after a pause growing with its delivery count (<see cref="MessageRedeliveryOptions.RetryDelay"/>,
    /// ending <see cref="LockMargin"/> before its lock does), so that Service Bus redelivers it — safe, as intake dedupes —
    /// without spending its deliveries in a second. On the last delivery it is dead-lettered as <see cref="IntakeFailed"/>
    /// with the error, logged as an error and counted: a valid message is never dropped in silence.
    /// </summary>
    public async Task<Settlement> CompleteAfterAsync(ServiceBusReceivedMessage message, IMessageSettlement settlement, string queue, Func<Task> handOn, CancellationToken cancellationToken)
    {
        try
        {
            await handOn();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return await FailedAsync(message, settlement, queue, ex, cancellationToken);
        }

        await settlement.CompleteAsync(cancellationToken);
        return Settlement.Completed;
    }

    async Task<Settlement> FailedAsync(ServiceBusReceivedMessage message, IMessageSettlement settlement, string queue, Exception ex, CancellationToken cancellationToken)
    {
        MessageRedeliveryOptions o = options.Value;
        if (message.DeliveryCount >= o.MaxDeliveryCount)
        {
            string description = $"delivery {message.DeliveryCount} of {o.MaxDeliveryCount} failed: {ex.GetType().Name}: {ex.Message}";
            logger.LogError(ex, "Dead-lettering {Queue} message {MessageId} as {Reason}: its last delivery ({DeliveryCount}) failed too; resubmit it from the dead-letter queue once the cause is fixed",
                queue, message.MessageId, IntakeFailed, message.DeliveryCount);
            await settlement.DeadLetterAsync(IntakeFailed, Capped(description), cancellationToken);
            metrics.MessageDeadLettered(queue, IntakeFailed);
            return Settlement.DeadLettered;
        }

        TimeSpan pause = o.RetryDelay(message.DeliveryCount);
        if (message.LockedUntil != default)
        {
            TimeSpan left = message.LockedUntil - time.GetUtcNow() - LockMargin;
            pause = left < pause ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : pause;
        }

        logger.LogWarning(ex, "Abandoning {Queue} message {MessageId} (delivery {DeliveryCount} of {MaxDeliveryCount}) in {Pause} after a transient failure",
            queue, message.MessageId, message.DeliveryCount, o.MaxDeliveryCount, pause);
        try
        {
            await Task.Delay(pause, time, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // This host is stopping: hand the message back now rather than leave it locked until its lock lapses.
            await settlement.AbandonAsync(CancellationToken.None);
            return Settlement.Abandoned;
        }

        await settlement.AbandonAsync(cancellationToken);
        return Settlement.Abandoned;
    }

    // Service Bus caps the description at 4096 characters.
    static string Capped(string description) => description.Length > 4000 ? description[..4000] + "…" : description;
}
