using System.Globalization;
using Azure.Messaging;
using Azure.Messaging.ServiceBus;
using Cordon.Evidence;
using Cordon.Incidents;

namespace Cordon.Adapters.Events;

/// <summary>
/// Publishes lifecycle events as structured CloudEvents to a Service Bus topic, so SIEM or ticketing
/// systems can subscribe. The event id is the incident id and the event name, and is also the
/// MessageId: a retried send is dropped by the topic's duplicate detection and recognisable downstream.
/// Without a configured topic (no <see cref="ServiceBusSender"/>) the event is only logged.
/// </summary>
public sealed class IncidentEventPublisher(IOptions<IncidentEventOptions> options, ILogger<IncidentEventPublisher> logger, ServiceBusSender? sender = null)
    : IIncidentEventPublisher
{
    public const string ContentType = "application/cloudevents+json; charset=utf-8";

    public static string EventId(string incidentId, string lifecycleEvent) => $"{incidentId}:{lifecycleEvent}";

    public ServiceBusMessage ToMessage(IncidentEventNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        string id = EventId(notice.IncidentId, notice.Event);
        var cloudEvent = new CloudEvent(options.Value.Source, LifecycleEvents.TypePrefix + notice.Event, BinaryData.FromObjectAsJson(notice, CordonJson.Options), "application/json", CloudEventDataFormat.Json)
        {
            Id = id,
            Subject = notice.IncidentId,
            Time = new DateTimeOffset(DateTime.SpecifyKind(notice.At, DateTimeKind.Utc)),
        };
        var message = new ServiceBusMessage(BinaryData.FromObjectAsJson(cloudEvent))
        {
            MessageId = id,
            Subject = notice.IncidentId,
            CorrelationId = notice.IncidentId,
            ContentType = ContentType,
        };
        message.ApplicationProperties["type"] = cloudEvent.Type;
        message.ApplicationProperties["incidentId"] = notice.IncidentId;
        message.ApplicationProperties["event"] = notice.Event;
        message.ApplicationProperties["stage"] = notice.Stage;
        message.ApplicationProperties["severity"] = notice.Severity;
        message.ApplicationProperties["vendorId"] = notice.VendorId;
        message.ApplicationProperties["siteId"] = notice.SiteId;
        if (notice.Outcome is not null)
        {
            message.ApplicationProperties["outcome"] = notice.Outcome;
        }

        return message;
    }

    /// <summary>Sends (or logs) the event; returns its id.</summary>
    public async Task<string> PublishAsync(IncidentEventNotice notice, CancellationToken cancellationToken) =>
        (await PublishAllAsync([notice], cancellationToken))[0];

    /// <summary>
    /// Sends the events in one call, in their order (Service Bus sends a list as one batch: all of them or none, so a
    /// retry resends them all and duplicate detection drops what had arrived); returns their ids.
    /// </summary>
    public async Task<IReadOnlyList<string>> PublishAllAsync(IReadOnlyList<IncidentEventNotice> notices, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notices);
        List<ServiceBusMessage> messages = notices.Select(ToMessage).ToList();
        if (sender is not null)
        {
            await sender.SendMessagesAsync(messages, cancellationToken);
        }

        foreach (var (notice, message) in notices.Zip(messages))
        {
            if (sender is null)
            {
                logger.LogInformation("Incident event {Type} {EventId} at {At}: {Detail} (no topic configured: log only)",
                    LifecycleEvents.TypePrefix + notice.Event, message.MessageId, notice.At.ToString("O", CultureInfo.InvariantCulture), notice.Detail);
            }
            else
            {
                logger.LogInformation("Incident event {Type} {EventId} sent to {Topic}", LifecycleEvents.TypePrefix + notice.Event, message.MessageId, sender.EntityPath);
            }
        }

        return messages.Select(m => m.MessageId).ToList();
    }
}
