using System.Globalization;
using Cordon.Notification;

namespace Cordon.Approvals;

/// <summary>
/// Mails the approver a receipt of the decision Cordon recorded, so a decision made from a phone at
/// 3 a.m. leaves a trace in the approver's own mailbox (and a forged one would be noticed).
/// </summary>
public sealed class SendDecisionReceipt(IEmailSender email) : TaskActivity<DecisionReceiptRequest, string>
{
    [Function(nameof(SendDecisionReceipt))]
    public Task<string> Run([ActivityTrigger] DecisionReceiptRequest request) => RunAsync(ActivityContexts.For(nameof(SendDecisionReceipt)), request);

    public override Task<string> RunAsync(TaskActivityContext context, DecisionReceiptRequest request)
    {
        string title = $"Recorded: you {Past(request.Decision)} — {SendApprovalRequests.GateTitle(request.Gate)}, incident {request.IncidentId}";
        var (html, text) = MailLayout.Render(title, request.Message,
            [
                ("Incident", request.IncidentId),
                ("Gate", $"{SendApprovalRequests.GateTitle(request.Gate)} ({request.GateId})"),
                ("Your decision", request.Decision),
                ("Comment", string.IsNullOrWhiteSpace(request.Comment) ? "—" : request.Comment),
                ("Recorded at", request.At.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)),
            ],
            [], "If you did not make this decision, tell your security operations team at once: the link may have been forwarded.");
        return email.SendAsync(new EmailMessage([request.Approver], title, html, text, "decision-receipt",
            new Dictionary<string, string> { ["incidentId"] = request.IncidentId, ["gateId"] = request.GateId, ["kind"] = "decision-receipt" }), CancellationToken.None);
    }

    static string Past(string decision) => decision switch
    {
        Decisions.Approve => "approved",
        Decisions.Reject => "rejected",
        Decisions.Escalate => "approved and proposed vendor offboarding",
        _ => decision,
    };
}
