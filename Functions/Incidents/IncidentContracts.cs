using Cordon.Alerts;
using Cordon.Evidence;
using Cordon.Policy;

namespace Cordon.Incidents;

public static class Stages
{
    public const string Triage = "Triage";
    public const string Containment = "Containment";
    public const string AwaitingConfirmation = "AwaitingConfirmation";
    public const string Revocation = "Revocation";
    public const string AwaitingNotificationApproval = "AwaitingNotificationApproval";
    public const string ClientNotification = "ClientNotification";
    public const string AwaitingVendorApproval = "AwaitingVendorApproval";
    public const string VendorOffboarding = "VendorOffboarding";
    public const string Closed = "Closed";
}

public static class Outcomes
{
    public const string ConfirmedInsider = "ConfirmedInsider";
    public const string FalsePositive = "FalsePositive";
    public const string Unreviewed = "Unreviewed";
}

/// <summary>Names of the external events an incident listens to.</summary>
public static class IncidentEvents
{
    public const string Decision = "Decision";
    public const string AlertMerged = "AlertMerged";
    public const string OperatorAction = "OperatorAction";
}

/// <summary>
/// What an incident starts with. <paramref name="Plan"/> is triage done at intake (so the first episode contains);
/// incidents started before it was carried have none and are triaged by the <see cref="TriageAlert"/> activity.
/// <paramref name="IntakeContains"/>: intake applies the incident's first containment itself, right after starting it
/// (see FirstContainment). <paramref name="OpeningInOneCall"/>: "opened" and "contained" are announced by one
/// <see cref="PublishIncidentEvents"/> call once the first containment is in; incidents started before made two
/// <see cref="PublishIncidentEvent"/> calls, one after the other, and keep doing so when their history replays.
/// </summary>
/// <summary>
/// EmptyStepsEscalateAtOnce: a gate step in which nobody can be asked (its only approver is the subject) escalates at
/// once instead of waiting out its timeout; set for incidents started since (a flag, so running incidents replay as they ran).
/// </summary>
/// <summary>
/// Restart: set when an operator restarted the incident after its workflow failed (<see cref="IncidentRestart"/>): the run
/// is a new execution under the same id with the same alert, plan and flags; null for a first run.
/// </summary>
public sealed record IncidentInput(string IncidentId, RiskAlert Alert, DateTime ReceivedAt, ResponsePlan? Plan = null, bool IntakeContains = false,
    bool OpeningInOneCall = false, bool EmptyStepsEscalateAtOnce = false, IncidentRestart? Restart = null);

/// <summary>
/// An operator's restart of a failed incident: the <paramref name="Number"/>-th restart, by whom (the signed-in principal,
/// as the timeline shows it, and the person), why, when, and what the failed run ended with. The restarted run's timeline
/// opens with <paramref name="PreviousTimeline"/> (the failed run's, as its status kept it) and this restart; its gates take
/// ids of their own (<c>confirm-r1-1</c>), so approvers are asked again in mails that say so, and links of the failed run's
/// gates no longer decide anything.
/// </summary>
public sealed record IncidentRestart(int Number, string Operator, string? OperatorId, string Reason, DateTime At, string? PreviousFailure,
    IReadOnlyList<TimelineEntry>? PreviousTimeline = null);

/// <summary>Triage's output: the policy snapshot and everything the workflow needs to know about the world.</summary>
public sealed record ResponsePlan(
    ResponsePolicy Policy,
    bool AutoContain,
    bool RecordOnly,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Approvers,
    IReadOnlyList<string> Operators,
    IReadOnlyList<AffectedClient> Clients,
    string VendorName,
    IReadOnlyList<string> VendorContacts,
    string SiteName,
    int SiteAgentCount,
    string? ConfigurationVersion = null,
    Cordon.Roster.RosterCheck? Roster = null,
    string? AskFirstBecause = null);

public sealed record AffectedClient(
    string Id,
    string Name,
    IReadOnlyList<string> SecurityContacts,
    IReadOnlyList<string> Jurisdictions,
    double ContractNoticeHours,
    string? NoticeWebhookUrl,
    string? SessionKillUrl,
    double SessionLifetimeMinutes);

/// <summary>A decision from an approval link (or an operator), raised into the incident.</summary>
public sealed record ApprovalDecision(
    string DecisionId,
    string GateId,
    string ApproverHash,
    string Decision,
    string? Comment,
    DateTime At,
    string Channel = "email-link");

/// <summary>The incident's answer to one decision, so the approval page can say what happened.</summary>
public sealed record DecisionReceipt(string DecisionId, bool Accepted, string Message);

/// <summary>
/// An operator's action. Operator: who acted, as the timeline shows it (the signed-in principal's name and
/// sign-in name, never a form field); OperatorId: the person, so a quorum gate counts each one once.
/// Step: for a retry, the one waiting step to resume (its <see cref="StepFailure.Step"/>); none resumes every waiting step.
/// SignInAddresses: the principal's sign-in name and e-mail addresses, so a gate counts an approver who also got a link
/// (keyed by the address it was mailed to) once, whichever of their addresses the link went to.
/// </summary>
public sealed record OperatorAction(string Action, string Operator, string Reason, string? Decision = null, string? Step = null, string? OperatorId = null,
    IReadOnlyList<string>? SignInAddresses = null);

public sealed record TimelineEntry(DateTime At, string Step, string Detail);

/// <summary>
/// OpenedAt: when the gate's first step opened (escalations keep it), for the gate-latency metric.
/// Role and Escalations: who is asked now and how many steps of the chain have timed out; Proposal: what
/// approving the gate does (the notice and its recipients, the site to offboard), shown to approvers.
/// </summary>
public sealed record PendingApproval(string GateId, string Gate, IReadOnlyList<string> Approvers, DateTime ExpiresAt, int Quorum, IReadOnlyList<Vote> Votes, DateTime? OpenedAt = null,
    string? Role = null, int Escalations = 0, Approvals.GateProposal? Proposal = null);

public sealed record Vote(string Approver, string Decision, DateTime At, string? Comment);

public sealed record Deadline(string Name, string Client, DateTime DueAt, DateTime? MetAt,
    [property: System.Text.Json.Serialization.JsonConverter(typeof(ClockStartJsonConverter))] ClockStart ClockStart);

public sealed record ExposureWindow(string Resource, DateTime EndsBy, string Reason);

public sealed record StepFailure(string Step, string Error, DateTime At);

/// <summary>One alert of an incident as the operator view and the API list it (the full list is in the evidence and the report).</summary>
public sealed record AlertSummary(
    string AlertId, string Source, DateTimeOffset DetectedAt, string Severity, double RiskScore, long AffectedRecords, IReadOnlyList<string> Indicators)
{
    const int IndicatorsKept = 8;

    public static AlertSummary Of(RiskAlert a) => new(a.AlertId, a.Source, a.DetectedAt, a.Severity, a.RiskScore, a.AffectedRecords,
        a.Indicators.Select(i => i.Count is null ? i.Kind : $"{i.Kind} ×{i.Count}").Distinct().Take(IndicatorsKept).ToList());
}

public sealed record IncidentMetrics(double? SecondsToContain, double? SecondsToDecide, double? SecondsToNotify);

/// <summary>
/// The incident as operators see it: the orchestration's custom status. Bounded whatever arrives (under
/// the 16 KB custom-status limit, see <see cref="StatusBudget"/>): the timeline, the alerts and the alert
/// keys keep their newest entries beside their totals; full lists go to the evidence and the report.
/// </summary>
public sealed record IncidentStatus
{
    public string Stage { get; init; } = Stages.Triage;
    public string? Outcome { get; init; }
    public string Severity { get; init; } = Severities.Low;
    public double RiskScore { get; init; }
    public string Subject { get; init; } = "";
    public string VendorId { get; init; } = "";
    public string SiteId { get; init; } = "";
    public DateTime OpenedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    public DateTime? ContainedAt { get; init; }
    public DateTime? ExposureEndsBy { get; init; }
    public IReadOnlyList<ExposureWindow> Exposure { get; init; } = [];
    /// <summary>Keys (source/alertId) of the newest alerts; <see cref="AlertCount"/> counts them all.</summary>
    public IReadOnlyList<string> AlertIds { get; init; } = [];
    public int AlertCount { get; init; }
    /// <summary>Merged alerts whose evidence is still queued or being preserved (under a flood it catches up in batches).</summary>
    public int EvidencePending { get; init; }
    /// <summary>The newest alerts, newest last.</summary>
    public IReadOnlyList<AlertSummary> Alerts { get; init; } = [];
    /// <summary>Short digests (<see cref="AlertDigest"/>) of the newest alerts taken, for intake's duplicate and merge checks.</summary>
    public IReadOnlyList<string> AlertDigests { get; init; } = [];
    /// <summary>Set when the incident stops taking alerts (its outcome is final): intake opens a new incident instead.</summary>
    public DateTime? ClosingAt { get; init; }
    public IReadOnlyList<PendingApproval> PendingApprovals { get; init; } = [];
    public IReadOnlyList<Deadline> Deadlines { get; init; } = [];
    public IReadOnlyList<TimelineEntry> Timeline { get; init; } = [];
    public IReadOnlyList<DecisionReceipt> Receipts { get; init; } = [];
    /// <summary>The first of <see cref="WaitingSteps"/> (kept for readers of one waiting step).</summary>
    public StepFailure? WaitingForOperator { get; init; }
    /// <summary>Every failed step waiting for an operator; parallel steps each wait on their own.</summary>
    public IReadOnlyList<StepFailure> WaitingSteps { get; init; } = [];
    public IncidentMetrics Metrics { get; init; } = new(null, null, null);
    public ContainmentSummary? Containment { get; init; }
    public string? ReportName { get; init; }

    /// <summary>The evidence custody chain's head at close: a record outside the store to verify the evidence against.</summary>
    public CustodyHead? EvidenceHead { get; init; }
    /// <summary>The world and policy versions triage planned with (<see cref="Configuration.ConfigurationSnapshot.Version"/>).</summary>
    public string? ConfigurationVersion { get; init; }
    /// <summary>The site roster's word on the subject when the site names a directory group (<see cref="Cordon.Roster.RosterCheck.OnRoster"/> false: flagged).</summary>
    public Cordon.Roster.RosterCheck? Roster { get; init; }
}

public sealed record ContainmentSummary(bool AccountDisabled, IReadOnlyList<string> RemovedGroups, bool SessionsRevoked);

/// <summary>
/// The orchestration's output when it closes. AlertKeys: every alert the incident took (source/alertId),
/// which intake reads to tell a duplicate from an alert that arrived after the incident stopped taking alerts.
/// EvidenceHead as in <see cref="IncidentStatus.EvidenceHead"/>.
/// </summary>
public sealed record IncidentResult(string IncidentId, string Outcome, DateTime ClosedAt, IReadOnlyList<string>? AlertKeys = null, CustodyHead? EvidenceHead = null);

/// <summary>A short, stable digest of an alert key (source/alertId) for the bounded status: 72 bits, base64url.</summary>
public static class AlertDigest
{
    public static string Of(string alertKey)
    {
        byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(alertKey));
        return Convert.ToBase64String(hash, 0, 9).Replace('+', '-').Replace('/', '_');
    }
}
