using Cordon.Notification;

namespace Cordon.Approvals;

/// <summary>Builds what a gate proposes from the very request its next step will run with (pure, so orchestrations may call it).</summary>
public static class GateProposals
{
    /// <summary>The notice gate: who gets the notice and how, its text (as the first client reads it) and every running deadline.</summary>
    public static GateProposal Notice(NoticeRequest next) => new(
        Recipients: next.Clients.Select(c => new NoticeRecipient(c.Id, c.Name, c.SecurityContacts, WebhookHost(c.NoticeWebhookUrl))).ToList(),
        NoticeText: next.Clients.Count == 0 ? null : ClientNoticeText.Render(next, next.Clients[0]).Text,
        Deadlines: next.Deadlines.OrderBy(d => d.DueAt).ToList());

    public static GateProposal Offboarding(string vendorName, string siteId, string siteName, int accounts, int confirmedInsiders, string why, IReadOnlyList<string> vendorContacts) =>
        new(Offboarding: new SiteOffboardingProposal(vendorName, siteId, siteName, accounts, confirmedInsiders, why, vendorContacts));

    /// <summary>Only the host: a webhook URL may carry a client's secret path.</summary>
    static string? WebhookHost(string? url) =>
        string.IsNullOrEmpty(url) ? null : Uri.TryCreate(url, UriKind.Absolute, out Uri? u) ? u.Host : "webhook";
}
