using Cordon.Evidence;

namespace Cordon.Incidents;

/// <summary>The lifecycle events an incident announces, each at most once.</summary>
public static class LifecycleEvents
{
    public const string Opened = "opened";
    public const string Contained = "contained";
    public const string Decided = "decided";
    public const string Notified = "notified";
    public const string Closed = "closed";

    public const string TypePrefix = "com.cordon.incident.";
}

/// <summary>
/// The data of one lifecycle event (the CloudEvent's <c>data</c>). EvidenceHead: on the closing event,
/// the evidence custody chain's head — kept by every subscriber, outside the evidence store.
/// </summary>
public sealed record IncidentEventNotice(
    string IncidentId, string Event, string Stage, string? Outcome, string Severity,
    string Subject, string VendorId, string SiteId, DateTime At, string Detail, CustodyHead? EvidenceHead = null);

/// <summary>The port lifecycle events leave through (Service Bus topic adapter in Cordon.Adapters.Events, else the log).</summary>
public interface IIncidentEventPublisher
{
    /// <summary>Sends (or logs) the event; returns its id.</summary>
    Task<string> PublishAsync(IncidentEventNotice notice, CancellationToken cancellationToken);

    /// <summary>Sends (or logs) the events, in their order, in one send where the transport allows; returns their ids.</summary>
    async Task<IReadOnlyList<string>> PublishAllAsync(IReadOnlyList<IncidentEventNotice> notices, CancellationToken cancellationToken)
    {
        var ids = new List<string>(notices.Count);
        foreach (IncidentEventNotice notice in notices)
        {
            ids.Add(await PublishAsync(notice, cancellationToken));
        }

        return ids;
    }
}
