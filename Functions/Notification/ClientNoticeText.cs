using System.Globalization;
using Cordon.Incidents;

namespace Cordon.Notification;

/// <summary>
/// The client notice, written once: SendClientNotices mails it and the notice gate shows it to legal
/// before anything is sent, so what is approved is what goes out.
/// </summary>
public static class ClientNoticeText
{
    /// <summary>
    /// The notice; <paramref name="sentAgain"/> marks a copy sent because an earlier attempt's delivery could not be
    /// confirmed (the host stopped between the send and its record): a client may get the notice twice, never unexplained.
    /// </summary>
    public static (string Title, string Html, string Text) Render(NoticeRequest request, AffectedClient client, bool sentAgain = false)
    {
        string title = sentAgain ? $"Security incident notice (sent again) — {client.Name}" : $"Security incident notice — {client.Name}";
        var (html, text) = MailLayout.Render(title,
            $"An agent of one of your outsourced support sites was confirmed as an insider on {MailLayout.Time(request.ConfirmedAt)}. " +
            "The agent's access has been revoked and evidence preserved under legal hold." +
            (sentAgain ? MailAttempt.SentAgainNote : ""),
            [
                ("Incident", request.IncidentId),
                ("Site", request.SiteId),
                ("Severity", request.Severity),
                ("Records possibly affected", request.AffectedRecords.ToString(CultureInfo.InvariantCulture)),
                .. request.Deadlines.Where(d => d.Client == client.Id).OrderBy(d => d.DueAt).Select(d => ($"{d.Name} deadline", MailLayout.Time(d.DueAt))),
            ],
            [], "Reply to this message to reach the incident's response team.");
        return (title, html, text);
    }
}
