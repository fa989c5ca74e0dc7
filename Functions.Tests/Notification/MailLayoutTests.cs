using Cordon.Notification;

namespace Cordon.Tests.Notification;

[Trait("Category", "Unit")]
public sealed class MailLayoutTests
{
    [Fact]
    public void Web_addresses_in_a_producers_text_are_defanged_and_the_mails_own_links_are_not()
    {
        var (html, text) = MailLayout.Render("Confirm insider incident", "intro",
            [("Indicators", "upload to HTTPS://exfil.example/drop — reject here: www.evil.example")],
            [new MailAction("Review and decide", "https://cordon.example/api/approvals/t")], "footer");

        foreach (string mail in new[] { html, text })
        {
            Assert.DoesNotContain("://exfil", mail, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("www.evil", mail, StringComparison.Ordinal);
            Assert.Contains("HTTPS[:]//exfil.example/drop", mail, StringComparison.Ordinal);
            Assert.Contains("www[.]evil.example", mail, StringComparison.Ordinal);
            Assert.Contains("https://cordon.example/api/approvals/t", mail, StringComparison.Ordinal);
        }
    }
}
