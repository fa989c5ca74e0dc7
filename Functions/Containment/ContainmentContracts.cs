using Cordon.Alerts;
using Cordon.Incidents;

namespace Cordon.Containment;

/// <summary>
/// ReceivedAt and Exposure feed the time-to-contain and exposure metrics (absent in requests scheduled before they existed).
/// Sequence: which containment of the incident this is (1, the first, is the one intake applies at once; absent in
/// requests scheduled before intake contained). A numbered containment is recorded write-once, so whichever of intake
/// and the incident applies it first, the other finds the record and changes nothing. IntakeContains: intake applies
/// containment 1 itself, so the incident's step leaves it to intake (unless intake failed or its lease ran out).
/// PreserveAlert: the incident's first alert, whose evidence the step preserves once the containment is recorded (the
/// incident then runs no evidence step of its own for it: one activity and one episode fewer before its gate).
/// </summary>
public sealed record ContainRequest(
    string IncidentId,
    string UserPrincipalName,
    IReadOnlyList<string> PrivilegedGroups,
    IReadOnlyList<AffectedClient> Clients,
    DateTime? ReceivedAt = null,
    IReadOnlyDictionary<string, TimeSpan>? Exposure = null,
    int? Sequence = null,
    bool IntakeContains = false,
    RiskAlert? PreserveAlert = null);

/// <summary>
/// Exactly what containment changed, so a false positive can be restored to the letter. AnnouncedAtIntake: intake,
/// which applied it, has published the incident's "opened" and "contained" events before writing this record, so the
/// incident does not announce them again (records written before it, or by the incident's step, have it false).
/// Preserved: what the step returns, never stored with the record: the evidence items it preserved for
/// <see cref="ContainRequest.PreserveAlert"/>; null when it was not asked to, or could not (the incident then preserves
/// them in a step of its own, which finds whatever was stored).
/// </summary>
public sealed record ContainmentRecord(
    string IncidentId,
    string UserPrincipalName,
    bool WasEnabled,
    IReadOnlyList<string> RemovedGroups,
    bool SessionsRevoked,
    DateTime ContainedAt,
    IReadOnlyList<SessionKill> SessionKills,
    bool AnnouncedAtIntake = false,
    IReadOnlyList<string>? Preserved = null);

public sealed record SessionKill(string ClientId, bool Acknowledged, DateTime? AcknowledgedAt, string Detail);

public sealed record RestoreResult(bool Reenabled, IReadOnlyList<string> RestoredGroups);

public sealed record RevokeRequest(string IncidentId, string UserPrincipalName);

public sealed record RevocationRecord(IReadOnlyList<string> RemovedGroups, IReadOnlyList<string> RemovedLicences, IReadOnlyList<string> RemovedAppRoles);

public sealed record TrainingRequest(string IncidentId, string VendorId, string SiteId, IReadOnlyList<string> VendorContacts);

/// <summary>
/// The snapshot taken before containment touches anything; written once, so a retry reuses it. Account: the directory's
/// exact account the subject resolved to; TakenBy/TakenAt: who took it (intake or the incident's step) and when (both
/// absent in plans taken before they were recorded).
/// </summary>
internal sealed record ContainmentPlan(bool WasEnabled, IReadOnlyList<string> GroupsToRemove, string? Account = null, string? TakenBy = null, DateTime? TakenAt = null);

/// <summary>Intake is applying the incident's first containment right now: the step tries again shortly (a durable timer), changing nothing meanwhile.</summary>
public sealed class ContainmentUnderwayException(string message) : Exception(message);
