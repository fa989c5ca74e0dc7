using Cordon.Incidents;

namespace Cordon.Notification;

public sealed record NoticeRequest(
    string IncidentId,
    string Subject,
    string VendorId,
    string SiteId,
    IReadOnlyList<AffectedClient> Clients,
    long AffectedRecords,
    string Severity,
    DateTime ConfirmedAt,
    IReadOnlyList<Deadline> Deadlines);

/// <summary>Proof that a client was told: channel, provider message id and time.</summary>
public sealed record NoticeProof(string ClientId, string Channel, string MessageId, DateTime SentAt);

