using Cordon.Policy;
using Cordon.Evidence;
using System.Text.Json;
using Cordon.Notification;

namespace Cordon.Approvals;

/// <summary>
/// Mails each approver of a gate step a personal, signed link. Who was asked, when, is kept write-once
/// with the evidence; a re-run of the step (a later mail failed, or a crash) asks only those not yet asked.
/// </summary>
public sealed class SendApprovalRequests(IEmailSender email, ApprovalTokens tokens, IEvidenceStore evidence, TimeProvider time, IOptions<ApprovalOptions> options)
    : TaskActivity<ApprovalRequest, int>
{
    [Function(nameof(SendApprovalRequests))]
    public Task<int> Run([ActivityTrigger] ApprovalRequest request) => RunAsync(ActivityContexts.For(nameof(SendApprovalRequests)), request);

    public override async Task<int> RunAsync(TaskActivityContext context, ApprovalRequest request)
    {
        foreach (string approver in request.Approvers)
        {
            string approverHash = ApproverIdentity.Hash(approver);
            string record = $"approval-request-{request.GateId}-{approverHash[..16]}.json";
            var note = new CustodyNote("cordon/SendApprovalRequests", $"{request.Role} asked to decide gate {request.GateId}");
            if (await evidence.FindAsync(request.IncidentId, record, "application/json", note, CancellationToken.None) is not null)
            {
                continue; // asked by an earlier run of this step
            }

            string token = tokens.Create(new ApprovalClaims(request.IncidentId, request.GateId, tokens.ApproverId(approver), new DateTimeOffset(request.ExpiresAt, TimeSpan.Zero)));
            string link = $"{options.Value.BaseUrl.TrimEnd('/')}/api/approvals/{token}";
            ApprovalSummary s = request.Summary;
            string title = (request.Restart > 0 ? "Asked again: " : "") + (request.IsEscalation ? "Escalated: " : "") + GateTitle(request.Gate) + $" — {s.Severity} risk at {s.SiteName}";
            var (html, text) = MailLayout.Render(
                title,
                $"{(request.Restart > 0 ? RestartedNote : "")}{(request.IsEscalation ? "The previous approvers did not decide in time. " : "")}You are asked as {request.Role} to decide for incident {request.IncidentId}. " +
                "Open the link to review the facts; nothing is decided until you press a button on that page.",
                [
                    ("Agent", s.SubjectName is null ? s.Subject : $"{s.SubjectName} ({s.Subject})"),
                    ("Vendor / site", $"{s.VendorName} / {s.SiteName}"),
                    ("Severity", $"{s.Severity} (score {s.RiskScore:0})"),
                    ("Indicators", string.Join("; ", s.Indicators)),
                    ("Already done", s.ContainmentDone),
                    .. ApprovalFacts.Proposal(request.Proposal),
                    .. ApprovalFacts.Timing(request.DecideBy ?? request.ExpiresAt, request.ExpiresAt),
                ],
                [new MailAction("Review and decide", link)],
                "This link is personal and signed; do not forward it. It stops working when the gate closes or at the time above.",
                request.Proposal?.NoticeText is { } notice ? ("The notice as it will be sent (as the first client listed reads it; each client's copy carries its own name and deadlines)", notice) : null);
            string messageId = await email.SendAsync(new EmailMessage([approver], title, html, text, "approval-request",
                new Dictionary<string, string> { ["incidentId"] = request.IncidentId, ["gateId"] = request.GateId, ["kind"] = request.IsEscalation ? "escalation" : "approval-request" }),
                CancellationToken.None);
            var asked = new { request.GateId, request.Gate, request.Role, approverHash, messageId, sentAt = time.GetUtcNow(), linkExpiresAt = request.ExpiresAt };
            await evidence.PutAsync(request.IncidentId, record, JsonSerializer.SerializeToUtf8Bytes(asked, CordonJson.Options), "application/json", note, CancellationToken.None);
        }

        return request.Approvers.Count;
    }

    /// <summary>What a request of a restarted incident (<see cref="ApprovalRequest.Restart"/>) says first.</summary>
    public const string RestartedNote = "This incident's workflow stopped with an error and an operator restarted it, so you are asked again; " +
        "links in earlier mails about this incident no longer decide anything. ";

    public static string GateTitle(string gate) => gate switch
    {
        Gates.Confirm => "Confirm insider incident",
        Gates.Notify => "Approve client notice",
        Gates.VendorOffboarding => "Approve vendor site offboarding",
        _ => $"Decide gate {gate}",
    };
}
