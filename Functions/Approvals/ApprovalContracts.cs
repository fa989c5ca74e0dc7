using Cordon.Incidents;
using Cordon.Policy;
using System.Security.Cryptography;
using System.Text;

namespace Cordon.Approvals;

public static class Decisions
{
    public const string Approve = "approve";
    public const string Reject = "reject";
    /// <summary>Approve, and propose offboarding the vendor site.</summary>
    public const string Escalate = "escalate";

    public static bool IsValid(string? decision) => decision is Approve or Reject or Escalate;

    /// <summary>
    /// Whether <paramref name="gate"/> offers <paramref name="decision"/>: Escalate proposes offboarding the site of a
    /// confirmed insider, so only the confirm gate offers it (elsewhere it was counted as an approval and receipted as
    /// a proposal nobody acted on).
    /// </summary>
    public static bool IsOfferedAt(string? decision, string gate) => decision is Approve or Reject || (decision == Escalate && gate == Gates.Confirm);

    /// <summary>Why a link's Escalate is refused at a gate other than confirm.</summary>
    public const string EscalateOnlyAtConfirm =
        "Approve and propose vendor offboarding is offered only when confirming an insider incident; at this gate choose approve or reject. Nothing was changed.";
}

/// <summary>
/// How the incident identifies an approver inside Cordon: an unkeyed hash of the address, so decision events carry no
/// readable personal data while the orchestration can still match them. Being unkeyed it confirms a guessed address, so
/// it never goes into a link made now: links carry <see cref="ApprovalTokens.ApproverId(string)"/>, a keyed hash (only
/// version-1 links, mailed before, carry this one).
/// </summary>
public static class ApproverIdentity
{
    public static string Hash(string email) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("cordon-approver:" + Cordon.World.SubjectIdentity.Canonical(email))))[..24];
}

/// <summary>What an approver sees about the incident (in the e-mail and on the confirmation page).</summary>
public sealed record ApprovalSummary(
    string Subject,
    string? SubjectName,
    string VendorId,
    string VendorName,
    string SiteId,
    string SiteName,
    string Severity,
    double RiskScore,
    IReadOnlyList<string> Indicators,
    string ContainmentDone,
    IReadOnlyList<string> Clients,
    long AffectedRecords);

public sealed record ApprovalRequest(
    string IncidentId,
    string GateId,
    string Gate,
    string Role,
    IReadOnlyList<string> Approvers,
    DateTime ExpiresAt,
    bool IsEscalation,
    ApprovalSummary Summary,
    GateProposal? Proposal = null,
    DateTime? DecideBy = null,
    int Restart = 0);

/// <summary>
/// What approving a gate will do, built by the orchestration from the same data the next step uses, so the
/// approver sees exactly what is sent or revoked. Notice gate: recipients, the notice text, the deadlines.
/// Vendor gate: the site, how many accounts are revoked, and why offboarding is proposed.
/// </summary>
public sealed record GateProposal(
    IReadOnlyList<NoticeRecipient>? Recipients = null,
    string? NoticeText = null,
    IReadOnlyList<Incidents.Deadline>? Deadlines = null,
    SiteOffboardingProposal? Offboarding = null);

/// <summary>One client the notice goes to: its security contacts by mail and, when it has one, its webhook (host only).</summary>
public sealed record NoticeRecipient(string ClientId, string ClientName, IReadOnlyList<string> Emails, string? WebhookHost);

public sealed record SiteOffboardingProposal(
    string VendorName, string SiteId, string SiteName, int AccountsToRevoke, int ConfirmedInsiders, string Why, IReadOnlyList<string> VendorContacts);

/// <summary>What the approver is told after a decision was recorded.</summary>
public sealed record DecisionReceiptRequest(
    string IncidentId,
    string GateId,
    string Gate,
    string Approver,
    string Decision,
    string? Comment,
    DateTime At,
    string Message);

public sealed record ReminderRequest(string IncidentId, string GateId, IReadOnlyList<string> Approvers, IReadOnlyList<Deadline> Upcoming, ApprovalSummary Summary);
