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

/// <summary>
/// Proof that a client was told: channel, provider message id and time; SentAgain: an e-mail sent again, marked so,
/// because an earlier attempt's delivery could not be confirmed.
/// </summary>
public sealed record NoticeProof(string ClientId, string Channel, string MessageId, DateTime SentAt, bool SentAgain = false);

