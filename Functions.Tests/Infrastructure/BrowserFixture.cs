using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Cookie = Microsoft.Playwright.Cookie;

namespace Cordon.Tests;

/// <summary>
/// One headless Debian Chromium (/usr/bin/chromium, installed by scripts/test.sh) per test class, in a
/// fresh profile. Playwright never downloads a browser here: its download cannot work on this network.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    readonly string profile = Directory.CreateTempSubdirectory("cordon-chromium-").FullName;
    IPlaywright? playwright;

    public IBrowserContext Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run scripts/test.sh (it installs Debian's chromium) or apt-get install chromium");
        }

        playwright = await Playwright.CreateAsync();
        // Playwright takes the profile directory as its own argument (it refuses --user-data-dir in Args).
        Browser = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // As root Chromium needs --no-sandbox; the rest keeps it from phoning home during tests.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
    }

    /// <summary>
    /// Signs the browser in to a local host as an operator, the way its development sign-in page does
    /// (a cookie the host turns into X-MS-CLIENT-PRINCIPAL).
    /// </summary>
    public Task SignInAsync(Uri host, string name = TestHost.OperatorName, string role = Cordon.Operators.OperatorRoles.Operator, string? username = TestHost.OperatorUsername) =>
        Browser.AddCookiesAsync([new Cookie
        {
            Name = Cordon.Local.LocalSignIn.Cookie,
            Value = Uri.EscapeDataString(Cordon.Operators.OperatorPrincipal.Encode(name, username, [role], "local")),
            Url = host.GetLeftPart(UriPartial.Authority),
        }]);

    /// <summary>A new tab that records console errors, uncaught page errors and failed or refused requests.</summary>
    public async Task<(IPage Page, List<string> Problems)> OpenAsync()
    {
        IPage page = await Browser.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") { lock (problems) { problems.Add($"console: {m.Text}"); } } };
        page.PageError += (_, e) => { lock (problems) { problems.Add($"page error: {e}"); } };
        page.RequestFailed += (_, r) => { lock (problems) { problems.Add($"request failed: {r.Method} {r.Url} {r.Failure}"); } };
        page.Response += (_, r) => { if (r.Status >= 400) { lock (problems) { problems.Add($"HTTP {r.Status}: {r.Request.Method} {r.Url}"); } } };
        return (page, problems);
    }

    /// <summary>axe-core's serious and critical violations on the page as it is now, one line each (empty: none).</summary>
    public static async Task<IReadOnlyList<string>> SeriousAccessibilityViolationsAsync(IPage page)
    {
        AxeResult result = await page.RunAxe();
        return result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}")
            .ToList();
    }

    /// <summary>Whether the page scrolls sideways at its current viewport.</summary>
    public static Task<bool> ScrollsSidewaysAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.scrollingElement.scrollWidth > document.scrollingElement.clientWidth");

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be releasing its profile; it is under the temp directory anyway.
        }
    }
}

/// <summary>Closes a tab at the end of a test; the browser stays for the rest of the class.</summary>
public sealed class PageCloser(IPage page) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await page.CloseAsync();
}
