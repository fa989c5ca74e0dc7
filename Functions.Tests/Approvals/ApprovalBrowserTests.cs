using Cordon.Incidents;
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
}
