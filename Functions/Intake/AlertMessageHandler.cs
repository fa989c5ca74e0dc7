using Azure.Messaging.ServiceBus;
using Cordon.Alerts;
using Cordon.Monitoring;

namespace Cordon.Intake;

/// <summary>How a handled message is settled; adapters exist for the Functions trigger and ServiceBusProcessor.</summary>
public interface IMessageSettlement
{
    Task CompleteAsync(CancellationToken cancellationToken);

    Task DeadLetterAsync(string reason, string description, CancellationToken cancellationToken);

    Task AbandonAsync(CancellationToken cancellationToken);
}

public enum Settlement { Completed, DeadLettered, Abandoned }

/// <summary>
/// Handles one risk-alert message from Service Bus: bad input is dead-lettered with its reason (it
/// will never get better), a transient failure abandons the message so Service Bus redelivers it
/// (up to its max delivery count), and a handled alert completes. Re-delivery is safe: intake dedupes.
/// </summary>
public sealed class AlertMessageHandler(AlertIntake intake, CordonMetrics metrics, TimeProvider time, ILogger<AlertMessageHandler> logger)
{
    public const string InvalidAlert = "InvalidAlert";

    public async Task<Settlement> HandleAsync(ServiceBusReceivedMessage message, IMessageSettlement settlement, DurableTaskClient client, CancellationToken cancellationToken)
    {
        AlertParseResult parsed = MessageBody.TryRead(message, out ReadOnlyMemory<byte> body, out string unreadable)
            ? AlertParser.Parse(body, time.GetUtcNow())
            : new AlertParseResult(null, [unreadable]);
        if (!parsed.IsValid)
        {
            string description = string.Join("; ", parsed.Errors);
            metrics.AlertRefused(RefusalReasons.Invalid, AlertChannels.ServiceBus);
            logger.LogWarning("Dead-lettering message {MessageId}: {Errors}", message.MessageId, description);
            return await settlement.DeadLetterInvalidAsync(InvalidAlert, description, cancellationToken);
        }

        return await settlement.CompleteAfterAsync(async () =>
            {
                IntakeResult result = await intake.SubmitAsync(client, parsed.Alert!, cancellationToken);
                logger.LogInformation("Message {MessageId}: alert {AlertId} {Outcome} {IncidentId}", message.MessageId, parsed.Alert!.AlertId, result.Outcome, result.IncidentId);
            },
            ex => logger.LogWarning(ex, "Abandoning message {MessageId} (delivery {DeliveryCount}) after a transient failure", message.MessageId, message.DeliveryCount),
            cancellationToken);
    }
}
