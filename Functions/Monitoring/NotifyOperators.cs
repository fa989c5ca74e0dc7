using Cordon.Notification;

namespace Cordon.Monitoring;

public sealed record OperatorNotice(string IncidentId, string Subject, string Detail, IReadOnlyList<string> Operators);

public static class OperatorActions
{
    public const string Retry = "retry";
    public const string Decide = "decide";
    public const string Close = "close";

    /// <summary>Starts a failed incident again: same id, same alert and plan (IncidentsApi; never raised into a running incident).</summary>
    public const string Restart = "restart";

    public static bool IsValid(string? action) => action is Retry or Decide or Close or Restart;
}

/// <summary>Tells operators an incident needs a human outside the gates (a failed step, an unreviewed incident).</summary>
public sealed class NotifyOperators(IEmailSender email, ILogger<NotifyOperators> logger) : TaskActivity<OperatorNotice, int>
{
    [Function(nameof(NotifyOperators))]
    public Task<int> Run([ActivityTrigger] OperatorNotice notice) => RunAsync(ActivityContexts.For(nameof(NotifyOperators)), notice);

    public override async Task<int> RunAsync(TaskActivityContext context, OperatorNotice notice)
    {
        using IDisposable? scope = logger.BeginIncident(notice.IncidentId);
        logger.LogWarning("Operator attention for {IncidentId}: {Subject}: {Detail}", notice.IncidentId, notice.Subject, notice.Detail);
        if (notice.Operators.Count == 0)
        {
            return 0;
        }

        var (html, text) = MailLayout.Render($"Operator attention: {notice.Subject}", notice.Detail, [("Incident", notice.IncidentId)], [],
            "Sent by Cordon to the operators on duty.");
        await email.SendAsync(new EmailMessage(notice.Operators, $"[Cordon] {notice.Subject} — {notice.IncidentId}", html, text, "operator-alert",
            new Dictionary<string, string> { ["incidentId"] = notice.IncidentId, ["kind"] = "operator-alert" }), CancellationToken.None);
        return notice.Operators.Count;
    }
}
