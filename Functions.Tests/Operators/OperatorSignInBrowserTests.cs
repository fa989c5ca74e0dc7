using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Cordon.Tests.Operators;

/// <summary>The local development sign-in page in a real browser (headless Debian Chromium).</summary>
public sealed class OperatorSignInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_reader_signs_in_on_the_development_page_sees_the_dashboard_without_actions_and_signs_out()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation);
        var (page, problems) = await browser.OpenAsync();
        await using var _ = new PageCloser(page);

        IResponse? first = await page.GotoAsync(new Uri(host.Host.BaseAddress, $"/api/dashboard/incidents/{id}").ToString());
        Assert.Equal(401, first!.Status);
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Rita Reader");
        await page.GetByLabel("Sign-in name (preferred_username)").FillAsync("rita.reader@cordon-customer.example");
        await page.GetByLabel("Role").SelectOptionAsync("Cordon.Reader");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        // Back on the page sign-in started from, as the chosen person and role.
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/api/dashboard/incidents/{id}$"));
        await Assertions.Expect(page.Locator("#signed-in")).ToContainTextAsync("Signed in as Rita Reader (rita.reader@cordon-customer.example) · Cordon.Reader");
        await Assertions.Expect(page.Locator("form[data-action]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#view-only")).ToContainTextAsync("Cordon.Operator");

        await page.GetByRole(AriaRole.Link, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();
        // The two "sign in first" pages answer 401 (and the browser logs them); nothing else may go wrong.
        List<string> others = problems.Where(p => !p.Contains("401", StringComparison.Ordinal)).ToList();
        Assert.True(others.Count == 0, string.Join(Environment.NewLine, others));
        Assert.Equal(2, problems.Count(p => p.StartsWith("HTTP 401", StringComparison.Ordinal)));
    }
}
