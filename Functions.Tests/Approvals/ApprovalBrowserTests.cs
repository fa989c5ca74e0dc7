using Microsoft.Playwright;

namespace Cordon.Tests.Approvals;

/// <summary>An approver with nothing but the local outbox and a browser (headless Debian Chromium).</summary>
public sealed class ApprovalBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Approver_follows_the_mailed_link_confirms_and_the_incident_moves_on_and_a_second_click_changes_nothing()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();
        await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"); // mailed: now the approver opens the outbox
        var (page, problems) = await browser.OpenAsync();
        await using var _ = new PageCloser(page);

        // The outbox page lists the approval request mailed to the security lead.
        await page.GotoAsync(new Uri(host.Host.BaseAddress, "/outbox").ToString());
        ILocator mail = page.Locator("article[data-category='approval-request']").Filter(new() { HasText = "sam.lead@cordon-customer.example" });
        await Assertions.Expect(mail).ToHaveCountAsync(1);
        string link = (await mail.Locator("a.mail-link").First.GetAttributeAsync("href"))!;
        await mail.Locator("a.mail-link").First.ClickAsync();

        // The confirmation page says what happened, what each choice does and the deadline, and decides nothing.
        await Assertions.Expect(page.Locator("h1")).ToBeVisibleAsync();
        string confirmation = await page.Locator("main").InnerTextAsync();
        foreach (string expected in new[] { "Ravi K.", "fabrikam-bpo / fab-pune-1", "critical (score 94)", "bribery-solicitation", "Sessions revoked, account disabled", "Decide by", "What each choice does", "false positive" })
        {
            Assert.Contains(expected, confirmation, StringComparison.Ordinal);
        }

        ILocator approve = page.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true });
        await Assertions.Expect(approve).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Reject", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(Stages.AwaitingConfirmation, (await host.IncidentAsync(id)).Stage);

        // A second tab holds the same page, as if the approver opened the mail twice.
        IPage second = await browser.Browser.NewPageAsync();
        await using var __ = new PageCloser(second);
        await second.GotoAsync(link);

        await page.GetByLabel("Comment").FillAsync("Telegram chat confirms the bribe");
        await approve.ClickAsync();

        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Decision recorded");
        IncidentDetail moved = await host.WaitForAsync(id, d => d.Stage is not (Stages.AwaitingConfirmation or Stages.Containment or Stages.Triage));
        Assert.Contains(moved.Timeline, t => t.Step == "decision" && t.Detail.Contains("Telegram chat confirms the bribe", StringComparison.Ordinal));
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));

        // A second click from the stale tab, and a revisit of the link, each get a clear page and change nothing.
        int timeline = (await host.IncidentAsync(id)).Timeline.Count(t => t.Step == "decision");
        IResponse secondClick = await second.RunAndWaitForResponseAsync(
            () => second.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(409, secondClick.Status);
        await Assertions.Expect(second.Locator("main")).ToContainTextAsync("no longer open");

        IResponse? revisit = await page.GotoAsync(link);
        Assert.Equal(409, revisit!.Status);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Decision closed");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Nothing was changed");
        Assert.Equal(timeline, (await host.IncidentAsync(id)).Timeline.Count(t => t.Step == "decision"));
    }

    [Fact]
    public async Task Notice_and_vendor_gate_pages_show_what_is_approved_in_the_mails_words_and_times_and_pass_axe()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();
        await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), "escalate", "two more agents named in the chat");
        var (page, problems) = await browser.OpenAsync();
        await using var _ = new PageCloser(page);

        // Notice gate: every recipient, the notice text, each regime's deadline, and the mail's own times.
        string noticeLink = await host.ApprovalLinkAsync("lee.legal@cordon-customer.example", "notify");
        Cordon.Local.Connectors.OutboxMail noticeMail = await host.MailAsync(m => m.Category == "approval-request" && m.To.Contains("lee.legal@cordon-customer.example"));
        await page.GotoAsync(new Uri(host.Host.BaseAddress, noticeLink).ToString());
        string notice = await page.Locator("main").InnerTextAsync();
        IncidentDetail atNotice = await host.IncidentAsync(id);
        Assert.NotEmpty(atNotice.Deadlines);
        foreach (string expected in new[] { "security@northwind-bank.example", "ciso@contoso-pay.example", "Security incident notice — Northwind Bank", "Records possibly affected: 1240" }
            .Concat(atNotice.Deadlines.Select(d => $"{d.Name} deadline ({d.Client})")))
        {
            Assert.Contains(expected, notice, StringComparison.Ordinal);
            Assert.Contains(expected, noticeMail.Text, StringComparison.Ordinal);
        }

        // The mail shows one client's copy, as the page does, and says so (a newcomer read it as every client's notice).
        Assert.Contains("each client's copy carries its own name and deadlines", noticeMail.Text, StringComparison.Ordinal);
        Assert.Contains("each client's copy carries its own name and deadlines", notice, StringComparison.Ordinal);
        string decideBy = Line(noticeMail.Text, "Decide by: ");
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$", decideBy);
        Assert.Contains($"Decide by\t{decideBy}", notice, StringComparison.Ordinal);
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));
        await Screenshot(page, "notice-gate.png");

        // Vendor gate: the site, how many accounts go, the confirmed insiders and why it is proposed.
        await host.DecideAsync(noticeLink, "approve");
        string vendorLink = await host.ApprovalLinkAsync("val.vendor@cordon-customer.example", "vendorOffboarding");
        Cordon.Local.Connectors.OutboxMail vendorMail = await host.MailAsync(m => m.Category == "approval-request" && m.To.Contains("val.vendor@cordon-customer.example"));
        await page.GotoAsync(new Uri(host.Host.BaseAddress, vendorLink).ToString());
        string vendor = await page.Locator("main").InnerTextAsync();
        System.Text.Json.Nodes.JsonNode site = TestHost.Site(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Repo.Path("samples/world.json")))!, "fab-pune-1");
        string accounts = (site["agents"]!.AsArray().Count + (int)site["generatedAgents"]!).ToString(System.Globalization.CultureInfo.InvariantCulture); // 3 named + 40 generated
        foreach (string expected in new[] { "Fabrikam Pune 1 (fab-pune-1)", $"Accounts to revoke\t{accounts} ", "Confirmed insiders at the site\t1",
            "sam.lead@cordon-customer.example proposed it when confirming the incident: “two more agents named in the chat”" })
        {
            Assert.Contains(expected, vendor, StringComparison.Ordinal);
        }

        Assert.Contains($"Accounts to revoke: {accounts} ", vendorMail.Text, StringComparison.Ordinal);
        Assert.Contains($"Decide by\t{Line(vendorMail.Text, "Decide by: ")}", vendor, StringComparison.Ordinal);
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));
        await Screenshot(page, "vendor-gate.png");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    static string Line(string text, string prefix) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).First(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];

    static Task Screenshot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", name), FullPage = true });
}
