using Cordon.Access;
using Cordon.Evidence;
using System.Globalization;
using Cordon.Notification;

namespace Cordon.Offboarding;

/// <summary>
/// Revokes the vendor's own service credentials and sends the vendor the offboarding notice, once: the
/// notice's message id is kept write-once with the evidence, and a re-run (a crash before the step was
/// recorded) answers with it instead of mailing the vendor again. A re-run that finds the notice attempted but
/// not proved sends it again, marked so unless SendGrid refused that attempt (<see cref="MailAttempt"/>).
/// </summary>
public sealed class NotifyVendor(IEmailSender email, IAccessControl access, IEvidenceStore evidence, IOptions<WorldOptions> world, TimeProvider time) : TaskActivity<VendorNotice, string>
{
    [Function(nameof(NotifyVendor))]
    public Task<string> Run([ActivityTrigger] VendorNotice notice) => RunAsync(ActivityContexts.For(nameof(NotifyVendor)), notice);

    const string ProofItem = "vendor-notice-proof.txt";

    static readonly CustodyNote ProofNote = new("cordon/NotifyVendor", "vendor offboarding notice sent");

    public override async Task<string> RunAsync(TaskActivityContext context, VendorNotice notice)
    {
        if (await evidence.FindAsync(notice.IncidentId, ProofItem, "text/plain", ProofNote, CancellationToken.None) is { } sent)
        {
            return System.Text.Encoding.UTF8.GetString(sent);
        }

        var vendor = world.Value.World.Vendors.FirstOrDefault(v => v.Id == notice.VendorId);
        if (vendor is { ServiceAccounts.Count: > 0 })
        {
            await access.RevokeAccountsAsync(vendor.ServiceAccounts, CancellationToken.None);
        }

        if (notice.Contacts.Count == 0)
        {
            return "no-vendor-contact";
        }

        var (messageId, marked) = await MailAttempt.SendAsync(evidence, time, notice.IncidentId, "vendor-notice-attempt", "cordon/NotifyVendor",
            "vendor offboarding notice", async sentAgain =>
            {
                string title = sentAgain ? $"Offboarding notice (sent again): site {notice.SiteName}" : $"Offboarding notice: site {notice.SiteName}";
                var (html, text) = MailLayout.Render(title,
                    $"Following confirmed insider activity (incident {notice.IncidentId}), access of every agent of site {notice.SiteName} and your service credentials have been revoked, with the approval of two authorised approvers." +
                    (sentAgain ? MailAttempt.SentAgainNote : ""),
                    [("Vendor", notice.VendorName), ("Site", notice.SiteName), ("Accounts revoked", notice.AccountsRevoked.ToString(CultureInfo.InvariantCulture))],
                    [], "Contact vendor management for the contractual next steps.");
                string id = await email.SendAsync(new EmailMessage(notice.Contacts, title, html, text, "vendor-notice",
                    new Dictionary<string, string> { ["incidentId"] = notice.IncidentId, ["kind"] = "vendor-notice" }), CancellationToken.None);
                return (id, sentAgain);
            });
        await evidence.PutAsync(notice.IncidentId, ProofItem, System.Text.Encoding.UTF8.GetBytes(messageId), "text/plain",
            ProofNote, CancellationToken.None);
        return marked ? $"{messageId} (sent again, marked so: an earlier attempt's delivery could not be confirmed)" : messageId;
    }
}
