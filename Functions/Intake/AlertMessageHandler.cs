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
/// will never get better), a transient failure abandons the message after a growing pause so Service Bus
/// redelivers it, its last delivery failing too dead-letters it as <see cref="MessageSettler.IntakeFailed"/>
/// (<see cref="MessageSettler"/>), and a handled alert completes. Re-delivery is safe: intake dedupes.
/// </summary>
public sealed class AlertMessageHandler(AlertIntake intake, MessageSettler settler, CordonMetrics metrics, TimeProvider time, ILogger<AlertMessageHandler> logger)
{
    public const string InvalidAlert = "InvalidAlert";

    /// <summary>The queue the Azure trigger reads (infra/modules/servicebus.bicep); the metric's queue tag.</summary>
    public const string Queue = "risk-alerts";

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
            return await settler.DeadLetterInvalidAsync(settlement, Queue, InvalidAlert, description, cancellationToken);
        }

        return await settler.CompleteAfterAsync(message, settlement, Queue, async () =>
            {
                IntakeResult result = await intake.SubmitAsync(client, parsed.Alert!, cancellationToken);
                logger.LogInformation("Message {MessageId}: alert {AlertId} {Outcome} {IncidentId}", message.MessageId, parsed.Alert!.AlertId, result.Outcome, result.IncidentId);
            },
            cancellationToken);
    }
}
