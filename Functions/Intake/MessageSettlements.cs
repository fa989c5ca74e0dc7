namespace Cordon.Intake;

/// <summary>How a Service Bus message handler settles a message, written once for alerts and access telemetry.</summary>
public static class MessageSettlements
{
    /// <summary>Bad input will never get better: dead-letters the message with its reasons.</summary>
    public static async Task<Settlement> DeadLetterInvalidAsync(this IMessageSettlement settlement, string reason, string description, CancellationToken cancellationToken)
    {
        // Service Bus caps the description at 4096 characters.
        await settlement.DeadLetterAsync(reason, description.Length > 4000 ? description[..4000] + "…" : description, cancellationToken);
        return Settlement.DeadLettered;
    }

    /// <summary>
    /// Hands the message's content on and completes it; a failure (other than this host stopping) abandons it, after
    /// <paramref name="abandoning"/> has logged it, so that Service Bus redelivers it — safe, as intake dedupes.
    /// </summary>
    public static async Task<Settlement> CompleteAfterAsync(this IMessageSettlement settlement, Func<Task> handOn, Action<Exception> abandoning, CancellationToken cancellationToken)
    {
        try
        {
            await handOn();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            abandoning(ex);
            await settlement.AbandonAsync(cancellationToken);
            return Settlement.Abandoned;
        }

        await settlement.CompleteAsync(cancellationToken);
        return Settlement.Completed;
    }
}
