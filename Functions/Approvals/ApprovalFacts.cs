using Cordon.Policy;
using System.Globalization;
using Cordon.Incidents;
using Cordon.Notification;

namespace Cordon.Approvals;

/// <summary>
/// The facts an approver decides on, written once for the mail and the confirmation page, so the two
/// always say the same thing in the same words and the same time format.
/// </summary>
public static class ApprovalFacts
{
    /// <summary>When the current step ends (then the gate escalates or expires) and until when this link works.</summary>
    public static IReadOnlyList<(string Label, string Value)> Timing(DateTime decideBy, DateTime linkWorksUntil)
    {
        var facts = new List<(string, string)> { ("Decide by", MailLayout.Time(decideBy)) };
        if (Math.Abs((linkWorksUntil - decideBy).TotalMinutes) >= 1)
        {
            facts.Add(("Your link works until", MailLayout.Time(linkWorksUntil) + " (after the time above the next approver is asked as well)"));
        }

        return facts;
    }

    /// <summary>What approving does: the notice's recipients and deadlines, or the site offboarding and why.</summary>
    public static IReadOnlyList<(string Label, string Value)> Proposal(GateProposal? p)
    {
        var facts = new List<(string, string)>();
        if (p is null)
        {
            return facts;
        }

        if (p.Recipients is { } recipients)
        {
            facts.Add(("Notice goes to", recipients.Count == 0 ? "nobody (no affected client)" : $"{recipients.Count} client(s)"));
            foreach (NoticeRecipient r in recipients)
            {
                facts.Add(($"  {r.ClientName}", Recipient(r)));
            }
        }

        if (p.Deadlines is { } deadlines)
        {
            foreach (Deadline d in deadlines)
            {
                facts.Add(($"{d.Name} deadline ({d.Client})", $"{MailLayout.Time(d.DueAt)}, clock from {d.ClockStart.Name()}"));
            }
        }

        if (p.Offboarding is { } o)
        {
            facts.Add(("Site to offboard", $"{o.SiteName} ({o.SiteId}) of {o.VendorName}"));
            facts.Add(("Accounts to revoke", o.AccountsToRevoke.ToString("N0", CultureInfo.InvariantCulture) + " (every account of the site, plus the vendor's credentials)"));
            facts.Add(("Confirmed insiders at the site", o.ConfirmedInsiders.ToString(CultureInfo.InvariantCulture)));
            facts.Add(("Why offboarding is proposed", o.Why));
            facts.Add(("Vendor told", o.VendorContacts.Count == 0 ? "no vendor contact on record" : string.Join(", ", o.VendorContacts)));
        }

        return facts;
    }

    public static string Recipient(NoticeRecipient r) =>
        (r.Emails.Count == 0 ? "no security contact on record" : "mail to " + string.Join(", ", r.Emails)) +
        (r.WebhookHost is null ? "" : $"; signed webhook to {r.WebhookHost}");
}
