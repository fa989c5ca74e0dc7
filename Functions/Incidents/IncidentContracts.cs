using Cordon.Alerts;
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

public sealed record IncidentInput(string IncidentId, RiskAlert Alert, DateTime ReceivedAt);

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
    int SiteAgentCount);

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
/// </summary>
public sealed record OperatorAction(string Action, string Operator, string Reason, string? Decision = null, string? OperatorId = null);

public sealed record TimelineEntry(DateTime At, string Step, string Detail);

/// <summary>OpenedAt: when the gate's first step opened (escalations keep it), for the gate-latency metric.</summary>
public sealed record PendingApproval(string GateId, string Gate, IReadOnlyList<string> Approvers, DateTime ExpiresAt, int Quorum, IReadOnlyList<Vote> Votes, DateTime? OpenedAt = null);

public sealed record Vote(string Approver, string Decision, DateTime At, string? Comment);

public sealed record Deadline(string Name, string Client, DateTime DueAt, DateTime? MetAt, string ClockStart);

public sealed record ExposureWindow(string Resource, DateTime EndsBy, string Reason);

public sealed record StepFailure(string Step, string Error, DateTime At);

public sealed record IncidentMetrics(double? SecondsToContain, double? SecondsToDecide, double? SecondsToNotify);

/// <summary>
/// The incident as operators see it: the orchestration's custom status. Kept small (well under the
/// 16 KB custom-status limit): the timeline keeps its newest entries, per-agent detail never lands here.
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
    public IReadOnlyList<string> AlertIds { get; init; } = [];
    public IReadOnlyList<PendingApproval> PendingApprovals { get; init; } = [];
    public IReadOnlyList<Deadline> Deadlines { get; init; } = [];
    public IReadOnlyList<TimelineEntry> Timeline { get; init; } = [];
    public IReadOnlyList<DecisionReceipt> Receipts { get; init; } = [];
    public StepFailure? WaitingForOperator { get; init; }
    public IncidentMetrics Metrics { get; init; } = new(null, null, null);
    public ContainmentSummary? Containment { get; init; }
    public string? ReportName { get; init; }
}

public sealed record ContainmentSummary(bool AccountDisabled, IReadOnlyList<string> RemovedGroups, bool SessionsRevoked);

/// <summary>The orchestration's output when it closes.</summary>
public sealed record IncidentResult(string IncidentId, string Outcome, DateTime ClosedAt);
