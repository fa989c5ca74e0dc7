using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Cordon.Tests.Monitoring;

/// <summary>The dashboard in a real browser (headless Debian Chromium through Playwright).</summary>
public sealed partial class DashboardBrowserTests(BrowserFixture browser, DashboardScenario scenario)
    : IClassFixture<BrowserFixture>, IClassFixture<DashboardScenario>
{
    [Fact]
    public async Task Dashboard_with_incidents_renders_and_refreshes_without_console_errors_or_failed_requests()
    {
        await browser.SignInAsync(scenario.Host.Host.BaseAddress);
        var (page, problems) = await browser.OpenAsync();
        await using var _ = new PageCloser(page);

        IResponse? response = await page.GotoAsync(scenario.Host.Host.BaseAddress.ToString());

        Assert.Equal(200, response!.Status);
        Assert.Equal(3, await page.Locator("#incidents tbody tr[data-incident-id]").CountAsync());
        await Assertions.Expect(page.Locator($"tr[data-incident-id='{scenario.Failed}'] [data-col='stage']")).ToContainTextAsync("waiting for an operator");
        // The page script swaps in fresh rows every few seconds; wait for one refresh to have happened.
        await page.WaitForResponseAsync(r => r.Url == page.Url && r.Request.ResourceType == "fetch", new PageWaitForResponseOptions { Timeout = 20_000 });
        Assert.Equal(3, await page.Locator("#incidents tbody tr[data-incident-id]").CountAsync());

        string png = Path.Combine(AppContext.BaseDirectory, "screenshots", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(png)!);
        byte[] shot = await page.ScreenshotAsync(new PageScreenshotOptions { Path = png, FullPage = true });
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, shot[..4]);
        Assert.True(new FileInfo(png).Length > 10_000, "the screenshot is suspiciously small");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Filters_work_without_script_from_the_form()
    {
        await browser.SignInAsync(scenario.Host.Host.BaseAddress);
        var (page, problems) = await browser.OpenAsync();
        await using var _ = new PageCloser(page);
        await page.GotoAsync(scenario.Host.Host.BaseAddress.ToString());

        await page.GetByLabel("Outcome").SelectOptionAsync(Outcomes.FalsePositive);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("outcome=FalsePositive"));
        await Assertions.Expect(page.Locator("#incidents tbody tr[data-incident-id]")).ToHaveCountAsync(1);
        Assert.Equal(scenario.FalsePositive, await page.Locator("#incidents tbody tr").GetAttributeAsync("data-incident-id"));
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Exposure_window_counts_down_on_the_dashboard_and_the_incident_page_while_it_is_open()
    {
        await browser.SignInAsync(scenario.Host.Host.BaseAddress);
        var (page, problems) = await browser.OpenAsync();
        await using var _ = new PageCloser(page);
        await page.GotoAsync(scenario.Host.Host.BaseAddress.ToString());
        ILocator cell = page.Locator($"tr[data-incident-id='{scenario.Contained}'] [data-col='exposure']");
        await Assertions.Expect(cell).ToHaveTextAsync(new Regex(@"^(\d+ h )?(\d+ min )?\d+ s left$"));

        await page.Locator("#incidents").GetByRole(AriaRole.Link, new() { Name = scenario.Contained }).ClickAsync();

        ILocator countdown = page.Locator("#exposure .countdown");
        await Assertions.Expect(countdown).ToBeVisibleAsync();
        string first = await countdown.InnerTextAsync();
        Assert.Matches(Countdown(), first);
        // The script ticks the countdown every second: it changes without a reload.
        await Assertions.Expect(countdown).Not.ToHaveTextAsync(first, new() { Timeout = 10_000 });
        Assert.Matches(Countdown(), await countdown.InnerTextAsync());
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Operator_retries_a_failed_step_from_the_incident_page_and_the_incident_resumes()
    {
        var faults = new FaultSwitch { Failing = true };
        await using TestHost host = await DashboardScenario.StartFaultyHostAsync(faults);
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.WaitingForOperator is not null);
        await browser.SignInAsync(host.Host.BaseAddress);
        var (page, problems) = await browser.OpenAsync();
        await using var _ = new PageCloser(page);
        await page.GotoAsync(new Uri(host.Host.BaseAddress, $"/api/dashboard/incidents/{id}").ToString());
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("step ContainSubject failed");

        faults.Failing = false; // the directory is back
        await Assertions.Expect(page.Locator("#signed-in")).ToContainTextAsync($"Signed in as {TestHost.OperatorName} ({TestHost.OperatorUsername})");
        await page.Locator("#retry-reason").FillAsync("directory back up");
        await page.GetByRole(AriaRole.Button, new() { Name = "Retry step" }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/api/dashboard/incidents/{id}\\?done=retry$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Retry requested");
        IncidentDetail resumed = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.ContainedAt is not null);
        Assert.Null(resumed.WaitingForOperator);
        Assert.Contains(resumed.Timeline, t => t.Step == "operator" && t.Detail.Contains($"{TestHost.OperatorName} ({TestHost.OperatorUsername})", StringComparison.Ordinal) && t.Detail.Contains("directory back up", StringComparison.Ordinal));
        Assert.False(host.Host.Directory.Find("ravi.k@vendor.example")!.AccountEnabled);

        // The page's own refresh picks up the new stage.
        await Assertions.Expect(page.Locator("#overview [data-col='stage']")).ToContainTextAsync(Stages.AwaitingConfirmation, new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("form[data-action='retry']")).ToHaveCountAsync(0);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task At_1366_by_768_the_list_puts_the_incident_waiting_for_an_operator_first_needs_no_sideways_scroll_and_every_page_passes_axe()
    {
        await browser.SignInAsync(scenario.Host.Host.BaseAddress);
        var (page, problems) = await browser.OpenAsync();
        await using var _ = new PageCloser(page);
        await page.SetViewportSizeAsync(1366, 768);
        await page.GotoAsync(scenario.Host.Host.BaseAddress.ToString());

        // Urgency first: the failed containment waits for an operator, the false positive is closed.
        ILocator rows = page.Locator("#incidents tbody tr[data-incident-id]");
        string?[] order = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => rows.Nth(i).GetAttributeAsync("data-incident-id")));
        Assert.Equal(new[] { scenario.Failed, scenario.Contained, scenario.FalsePositive }, order.Select(o => o ?? ""));
        await Assertions.Expect(page.Locator("#needs-you")).ToContainTextAsync(scenario.Failed);
        await Assertions.Expect(page.Locator("#needs-you")).Not.ToContainTextAsync(scenario.FalsePositive);
        await Assertions.Expect(page.Locator($"tr[data-incident-id='{scenario.Contained}'] [data-col='stage']")).ToHaveTextAsync("Confirm?");
        await Assertions.Expect(page.Locator($"tr[data-incident-id='{scenario.Contained}'] [data-col='approvals']")).ToContainTextAsync("sam.lead@cordon-customer.example");
        await Assertions.Expect(page.Locator($"tr[data-incident-id='{scenario.Contained}'] [data-col='approvals']")).ToContainTextAsync("since");
        Assert.False(await BrowserFixture.ScrollsSidewaysAsync(page), "the incidents list scrolls sideways at 1366×768");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        // The incident page opens with what happens next, who it waits on and by when.
        await page.GotoAsync(new Uri(scenario.Host.Host.BaseAddress, $"/api/dashboard/incidents/{scenario.Contained}").ToString());
        await Assertions.Expect(page.Locator("#next")).ToContainTextAsync("confirm the incident");
        await Assertions.Expect(page.Locator("#next")).ToContainTextAsync("securityLead: sam.lead@cordon-customer.example");
        await Assertions.Expect(page.Locator("#next")).ToContainTextAsync(" UTC");
        Assert.False(await BrowserFixture.ScrollsSidewaysAsync(page), "the incident page scrolls sideways at 1366×768");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        await page.GotoAsync(new Uri(scenario.Host.Host.BaseAddress, $"/api/dashboard/incidents/{scenario.Failed}").ToString());
        await Assertions.Expect(page.Locator("#next")).ToContainTextAsync("an operator");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        await page.GotoAsync(new Uri(scenario.Host.Host.BaseAddress, "/outbox").ToString());
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    static Regex Countdown() => CountdownPattern();

    [GeneratedRegex(@"^open, ends in (\d+ h )?(\d+ min )?\d+ s$")]
    private static partial Regex CountdownPattern();
}
