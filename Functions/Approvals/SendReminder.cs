using Cordon.Notification;
using System.Globalization;

namespace Cordon.Approvals;

/// <summary>Reminds the notice approvers that a regulatory or contract deadline is near.</summary>
public sealed class SendReminder(IEmailSender email) : TaskActivity<ReminderRequest, int>
{
    [Function(nameof(SendReminder))]
    public Task<int> Run([ActivityTrigger] ReminderRequest request) => RunAsync(ActivityContexts.For(nameof(SendReminder)), request);

    public override async Task<int> RunAsync(TaskActivityContext context, ReminderRequest request)
    {
        if (request.Approvers.Count == 0)
        {
            return 0;
        }

        var first = request.Upcoming[0];
        string title = $"Reminder: {first.Name} notice for {first.Client} due {first.DueAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC";
        var (html, text) = MailLayout.Render(title,
            $"The client notice for incident {request.IncidentId} still waits for approval. Use the approval link you received earlier.",
            request.Upcoming.Select(d => ($"{d.Name} ({d.Client})", d.DueAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))).ToList(),
            [], "Deadlines are computed from the response policy and each client's contract.");
        await email.SendAsync(new EmailMessage(request.Approvers, title, html, text, "reminder",
            new Dictionary<string, string> { ["incidentId"] = request.IncidentId, ["gateId"] = request.GateId, ["kind"] = "reminder" }), CancellationToken.None);
        return request.Approvers.Count;
    }
}
