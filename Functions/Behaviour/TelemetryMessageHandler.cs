using Azure.Messaging.ServiceBus;
using Cordon.Alerts;
using Cordon.Intake;

namespace Cordon.Behaviour;

/// <summary>
/// Handles one access-events message (an event or an array of them) from Service Bus, settling it
/// like <see cref="AlertMessageHandler"/>: unreadable or wholly invalid → dead-letter with the reasons;
/// a transient failure → abandon after a growing pause, and dead-letter <see cref="MessageSettler.IntakeFailed"/> on
/// the last delivery (redelivery is safe: events dedupe by eventId); else complete, logging any bad events that
/// were dropped while the good ones were kept.
/// </summary>
public sealed class TelemetryMessageHandler(TelemetryIntake intake, MessageSettler settler, TimeProvider time, ILogger<TelemetryMessageHandler> logger)
{
    public const string InvalidTelemetry = "InvalidTelemetry";

    /// <summary>The queue the Azure trigger reads (infra/modules/servicebus.bicep); the metric's queue tag.</summary>
    public const string Queue = "access-events";

    public async Task<Settlement> HandleAsync(ServiceBusReceivedMessage message, IMessageSettlement settlement, DurableTaskClient client, CancellationToken cancellationToken)
    {
        BatchParseResult parsed = MessageBody.TryRead(message, out ReadOnlyMemory<byte> body, out string unreadable)
            ? AccessEventParser.ParseBatch(body, time.GetUtcNow())
            : new BatchParseResult([], [], [unreadable]);
        IReadOnlyList<string> errors = parsed.IsValid
            ? [.. parsed.Rejected.SelectMany(r => r.Errors.Select(e => $"[{r.Index}] {e}"))]
            : parsed.Errors;
        if (!parsed.IsValid || parsed.Events.Count == 0)
        {
            string description = string.Join("; ", errors);
            logger.LogWarning("Dead-lettering telemetry message {MessageId}: {Errors}", message.MessageId, description);
            return await settler.DeadLetterInvalidAsync(settlement, Queue, InvalidTelemetry, description, cancellationToken);
        }

        if (errors.Count > 0)
        {
            logger.LogWarning("Telemetry message {MessageId}: {Count} bad events dropped: {Errors}", message.MessageId, parsed.Rejected.Count, string.Join("; ", errors));
        }

        return await settler.CompleteAfterAsync(message, settlement, Queue, async () =>
            {
                var (accepted, duplicates) = await intake.SubmitAsync(client, parsed.Events, cancellationToken);
                logger.LogInformation("Telemetry message {MessageId}: {Accepted} accepted, {Duplicates} duplicates", message.MessageId, accepted, duplicates);
            },
            cancellationToken);
    }
}
