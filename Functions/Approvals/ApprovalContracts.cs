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
}

/// <summary>
/// Approvers are identified by a keyed-free hash of their address, so links and events carry no
/// readable personal data while the orchestration can still match them.
/// </summary>
public static class ApproverIdentity
{
    public static string Hash(string email) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("cordon-approver:" + Cordon.Alerts.SubjectIdentity.Canonical(email))))[..24];
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
    ApprovalSummary Summary);

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
