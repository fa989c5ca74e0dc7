using Cordon.Incidents;

namespace Cordon.Containment;

/// <summary>ReceivedAt and Exposure feed the time-to-contain and exposure metrics (absent in requests scheduled before they existed).</summary>
public sealed record ContainRequest(
    string IncidentId,
    string UserPrincipalName,
    IReadOnlyList<string> PrivilegedGroups,
    IReadOnlyList<AffectedClient> Clients,
    DateTime? ReceivedAt = null,
    IReadOnlyDictionary<string, TimeSpan>? Exposure = null);

/// <summary>Exactly what containment changed, so a false positive can be restored to the letter.</summary>
public sealed record ContainmentRecord(
    string IncidentId,
    string UserPrincipalName,
    bool WasEnabled,
    IReadOnlyList<string> RemovedGroups,
    bool SessionsRevoked,
    DateTime ContainedAt,
    IReadOnlyList<SessionKill> SessionKills);

public sealed record SessionKill(string ClientId, bool Acknowledged, DateTime? AcknowledgedAt, string Detail);

public sealed record RestoreResult(bool Reenabled, IReadOnlyList<string> RestoredGroups);

public sealed record RevokeRequest(string IncidentId, string UserPrincipalName);

public sealed record RevocationRecord(IReadOnlyList<string> RemovedGroups, IReadOnlyList<string> RemovedLicences, IReadOnlyList<string> RemovedAppRoles);

public sealed record TrainingRequest(string IncidentId, string VendorId, string SiteId, IReadOnlyList<string> VendorContacts);

/// <summary>The snapshot taken before containment touches anything; written once, so a retry reuses it.</summary>
/// <summary>Account: the directory's exact account the subject resolved to (absent in plans taken before it was recorded).</summary>
internal sealed record ContainmentPlan(bool WasEnabled, IReadOnlyList<string> GroupsToRemove, string? Account = null);
