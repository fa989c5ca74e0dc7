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

    [Theory]
    [InlineData("reject here:_https://evil.example/r", "_https[:]//evil.example/r")]
    [InlineData("or 1https://evil.example/s", "1https[:]//evil.example/s")]
    [InlineData("see xftp://evil.example", "xftp[:]//evil.example")]
    [InlineData("open file://evil.example/share", "file[:]//evil.example/share")]
    [InlineData("or _www.evil.example", "_www[.]evil.example")]
    public void A_web_address_is_defanged_whatever_precedes_its_scheme(string detail, string shown)
    {
        var (html, text) = MailLayout.Render("Confirm insider incident", "intro", [("Indicators", detail)], [], "footer");

        foreach (string mail in new[] { html, text })
        {
            Assert.DoesNotContain("://evil", mail, StringComparison.Ordinal);
            Assert.Contains(shown, mail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_title_naming_a_producers_site_is_one_line_and_defanged_in_the_subject_heading_and_text()
    {
        const string title = "Confirm insider incident — high risk at fab-pune-9\r\n\r\nReview and decide: https://evil.example/api/approvals/x \u202Eevil\u0007";

        var (html, text) = MailLayout.Render(title, "intro", [], [new MailAction("Review and decide", "https://cordon.example/api/approvals/t")], "footer");
        var mail = new Cordon.Notification.EmailMessage(["sam.lead@cordon-customer.example"], title, html, text, "approval-request", new Dictionary<string, string>());

        foreach (string shown in new[] { html, text, mail.Subject })
        {
            Assert.DoesNotContain("https://evil.example", shown, StringComparison.Ordinal);
            Assert.DoesNotContain('\u202E', shown);
            Assert.DoesNotContain('\u0007', shown);
        }

        Assert.DoesNotContain('\n', mail.Subject);
        Assert.DoesNotContain('\r', mail.Subject);
        Assert.StartsWith("Confirm insider incident — high risk at fab-pune-9    Review and decide: https[:]//evil.example", mail.Subject, StringComparison.Ordinal);
        // The mail's own button is the only "Review and decide" line of the text twin, and the heading holds the whole title.
        Assert.Single(text.Split('\n'), l => l.StartsWith("Review and decide:", StringComparison.Ordinal));
        Assert.Contains($"<h1 style=\"margin:0 0 12px;font-size:20px\">{System.Net.WebUtility.HtmlEncode(mail.Subject)}</h1>", html, StringComparison.Ordinal);
        Assert.Contains($"<title>{System.Net.WebUtility.HtmlEncode(mail.Subject)}</title>", html, StringComparison.Ordinal);
    }
}
