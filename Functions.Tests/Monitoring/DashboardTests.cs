using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Cordon.Tests.Monitoring;

/// <summary>The dashboard's HTML, parsed, for incidents in several stages (one shared host, read-mostly).</summary>
public sealed class DashboardTests(DashboardScenario scenario) : IClassFixture<DashboardScenario>
{
    TestHost Host => scenario.Host;

    async Task<(HttpStatusCode Status, IDocument Page)> GetPageAsync(string path)
    {
        HttpResponseMessage response = await Host.Http.GetAsync(path);
        return (response.StatusCode, await new HtmlParser().ParseDocumentAsync(await response.Content.ReadAsStringAsync()));
    }

    static string Cell(IDocument page, string id, string col) =>
        page.QuerySelector($"tr[data-incident-id='{id}'] [data-col='{col}']")?.TextContent.Trim() ?? throw new Xunit.Sdk.XunitException($"no {col} cell for {id}");

    static List<string> Rows(IDocument page) => page.QuerySelectorAll("#incidents tbody tr[data-incident-id]").Select(r => r.GetAttribute("data-incident-id")!).ToList();

    [Fact]
    public async Task Dashboard_shows_each_incident_with_its_stage_outcome_containment_and_pending_approvals()
    {
        var (status, page) = await GetPageAsync("/");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Incidents", page.QuerySelector("h1")!.TextContent);
        Assert.Equal(
            new[] { "Incident", "Subject · site", "Severity", "Stage", "Waits on", "Nearest deadline", "Exposure window", "Contained in", "Age" },
            page.QuerySelectorAll("#incidents thead th").Select(th => th.TextContent));
        Assert.Equal(new[] { scenario.Failed, scenario.Contained, scenario.FalsePositive }, Rows(page)); // waiting for an operator first, closed last

        Assert.Equal("ravi.k@vendor.examplefabrikam-bpo / fab-pune-1", Cell(page, scenario.Contained, "subject"));
        Assert.Equal("critical", Cell(page, scenario.Contained, "severity"));
        Assert.Equal("Confirm?", Cell(page, scenario.Contained, "stage"));
        Assert.StartsWith("securityLeadsam.lead@cordon-customer.examplesince ", Cell(page, scenario.Contained, "approvals"));
        Assert.EndsWith(" s", Cell(page, scenario.Contained, "contain"));
        Assert.Matches(@"^(\d+ h )?(\d+ min )?\d+ s left$", Cell(page, scenario.Contained, "exposure"));

        Assert.Equal("Closedfalse positive", Cell(page, scenario.FalsePositive, "stage"));
        Assert.Equal("—", Cell(page, scenario.FalsePositive, "approvals"));
        Assert.Equal("access restored", Cell(page, scenario.FalsePositive, "exposure"));

        Assert.Equal("Containing waiting for an operator", Cell(page, scenario.Failed, "stage"));
        Assert.Equal("an operator", Cell(page, scenario.Failed, "approvals"));
        Assert.Equal("—", Cell(page, scenario.Failed, "contain"));
        Assert.Equal("—", Cell(page, scenario.Failed, "exposure"));
        Assert.Contains(scenario.Failed, page.QuerySelector("#needs-you")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("1 waiting for an operator", page.QuerySelector("#summary")!.TextContent, StringComparison.Ordinal);

        // The same page is served by the HTTP function's own route.
        Assert.Equal(Rows(page), Rows((await GetPageAsync("/api/dashboard")).Page));
    }

    [Theory]
    [InlineData("?stage=Closed", "FalsePositive")]
    [InlineData("?outcome=FalsePositive", "FalsePositive")]
    [InlineData("?outcome=open&severity=critical", "Contained,Failed")]
    [InlineData("?q=RAVI.K", "Contained")]
    [InlineData("?q=fab-manila", "FalsePositive")]
    [InlineData("?stage=Containment&q=asha", "Failed")]
    [InlineData("?stage=VendorOffboarding", "")]
    public async Task Filters_narrow_the_rows(string query, string expected)
    {
        var byName = new Dictionary<string, string> { ["Contained"] = scenario.Contained, ["FalsePositive"] = scenario.FalsePositive, ["Failed"] = scenario.Failed };

        var (_, page) = await GetPageAsync("/" + query);

        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(n => byName[n]).Order(), Rows(page).Order());
        if (expected == "")
        {
            Assert.Contains("No incident matches these filters.", page.QuerySelector("#incidents tbody")!.TextContent, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Unknown_filter_value_is_named_instead_of_showing_an_empty_list()
    {
        var (status, page) = await GetPageAsync("/?stage=Escalated&severity=extreme");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        string text = page.Body!.TextContent;
        Assert.Contains("stage must be one of Triage", text, StringComparison.Ordinal);
        Assert.Contains("severity must be one of low, medium, high, critical (got \"extreme\")", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Contained_incident_page_shows_containment_exposure_countdown_gate_and_its_actions()
    {
        var (status, page) = await GetPageAsync($"/api/dashboard/incidents/{scenario.Contained}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"Incident {scenario.Contained}", page.QuerySelector("h1")!.TextContent);
        Assert.Contains(Stages.AwaitingConfirmation, page.QuerySelector("#overview [data-col='stage']")!.TextContent, StringComparison.Ordinal);
        Assert.StartsWith("Next: confirm the incident", page.QuerySelector("#next")!.TextContent, StringComparison.Ordinal);
        string containment = page.QuerySelector("#containment")!.TextContent;
        Assert.Contains("Account disabledyes", containment, StringComparison.Ordinal);
        Assert.Contains("crm-customer-pii", containment, StringComparison.Ordinal);

        IElement countdown = page.QuerySelector("#exposure .countdown")!;
        Assert.StartsWith("open, ends in ", countdown.TextContent, StringComparison.Ordinal);
        IncidentDetail detail = await Host.IncidentAsync(scenario.Contained);
        Assert.Equal(detail.ExposureEndsBy!.Value, DateTime.Parse(countdown.GetAttribute("data-ends")!, null, System.Globalization.DateTimeStyles.AdjustToUniversal), TimeSpan.FromMilliseconds(1));
        Assert.Equal(detail.Exposure.Select(e => e.Resource).Order(), page.QuerySelectorAll("#exposure tbody th").Select(th => th.TextContent).Order());

        Assert.Contains("sam.lead@cordon-customer.example", page.QuerySelector("#gates")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(page.QuerySelectorAll("#timeline tbody td"), td => td.TextContent == "contained");
        Assert.Equal(new[] { "decide", "close" }, page.QuerySelectorAll("form[data-action]").Select(f => f.GetAttribute("data-action")));
        Assert.All(page.QuerySelectorAll("form[data-action] input:not([type=hidden]), form[data-action] select"),
            input => Assert.NotNull(page.QuerySelector($"label[for='{input.Id}']")));
    }

    [Fact]
    public async Task Failed_and_closed_incident_pages_offer_only_what_applies()
    {
        var (_, failed) = await GetPageAsync($"/api/dashboard/incidents/{scenario.Failed}");
        Assert.Contains("step ContainSubject failed", failed.QuerySelector("#waiting")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(new[] { "retry", "close" }, failed.QuerySelectorAll("form[data-action]").Select(f => f.GetAttribute("data-action")));
        Assert.Equal($"/api/incidents/{scenario.Failed}/actions", failed.QuerySelector("form[data-action='retry']")!.GetAttribute("action"));

        var (_, closed) = await GetPageAsync($"/api/dashboard/incidents/{scenario.FalsePositive}");
        Assert.Equal(Outcomes.FalsePositive, closed.QuerySelector("#overview [data-col='outcome']")!.TextContent);
        Assert.Empty(closed.QuerySelectorAll("form[data-action]"));
        Assert.Contains("no action can change it", closed.QuerySelector("#actions")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(closed.QuerySelectorAll(".receipts li"), li => li.ClassName == "ok");
    }

    [Fact]
    public async Task Evidence_manifest_link_serves_the_hashed_items_and_a_passing_check()
    {
        var (_, page) = await GetPageAsync($"/api/dashboard/incidents/{scenario.Contained}");
        string href = page.QuerySelector("#evidence a")!.GetAttribute("href")!;

        JsonElement manifest = await Host.Http.GetFromJsonAsync<JsonElement>(href);

        Assert.Equal(scenario.Contained, manifest.GetProperty("incidentId").GetString());
        Assert.NotEmpty(manifest.GetProperty("items").EnumerateArray());
        Assert.All(manifest.GetProperty("items").EnumerateArray(), i => Assert.Equal(64, i.GetProperty("sha256").GetString()!.Length));
        Assert.True(manifest.GetProperty("verification").GetProperty("ok").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync("/api/incidents/inc-000000000000-9/evidence")).StatusCode);
    }

    [Fact]
    public async Task An_action_without_a_reason_with_an_oversized_reason_or_posted_from_another_site_is_refused_and_changes_nothing()
    {
        int before = (await Host.IncidentAsync(scenario.Contained)).Timeline.Count;

        using var incomplete = new FormUrlEncodedContent(new Dictionary<string, string> { ["action"] = "close", ["operator"] = "olga.ops", ["reason"] = " " });
        HttpResponseMessage refused = await Host.Http.PostAsync($"/api/incidents/{scenario.Contained}/actions", incomplete);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("reason is required", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        HttpResponseMessage tooLong = await Host.Http.PostAsJsonAsync($"/api/incidents/{scenario.Contained}/actions", new { action = "close", @operator = "olga.ops", reason = new string('x', 1001) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("reason must be at most 1000 characters", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var forged = new HttpRequestMessage(HttpMethod.Post, $"/api/incidents/{scenario.Contained}/actions")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["action"] = "close", ["operator"] = "mallory", ["reason"] = "forged" }),
        };
        forged.Headers.Add("Origin", "https://attacker.example");
        HttpResponseMessage crossSite = await Host.Http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);

        using var fromOtherSite = new HttpRequestMessage(HttpMethod.Post, $"/api/incidents/{scenario.Contained}/actions")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["action"] = "close", ["operator"] = "mallory", ["reason"] = "forged" }),
        };
        fromOtherSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, (await Host.Http.SendAsync(fromOtherSite)).StatusCode);

        IncidentDetail after = await Host.IncidentAsync(scenario.Contained);
        Assert.Equal(Stages.AwaitingConfirmation, after.Stage);
        Assert.Equal(before, after.Timeline.Count);
    }
}
