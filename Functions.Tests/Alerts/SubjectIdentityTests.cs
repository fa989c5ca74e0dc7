using Cordon.Intake;
using Cordon.Behaviour;

namespace Cordon.Tests.Alerts;

/// <summary>
/// One subject, however the account is spelled: a lookalike UPN (the Kelvin sign U+212A for K) must
/// reach the directory's real account, through the alert intake and through the monitor, and never
/// open an incident that shields that account.
/// </summary>
public sealed class SubjectIdentityTests
{
    const string Ravi = "ravi.k@vendor.example";
    const string RaviKelvin = "ravi.\u212A@vendor.example";

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData(RaviKelvin)]
    [InlineData("RAVI.K@VENDOR.EXAMPLE")]
    [InlineData(" Ravi.K@Vendor.Example ")]
    [InlineData("ravi.k\uFF20vendor.example")] // FULLWIDTH COMMERCIAL AT
    public void Every_spelling_of_an_account_is_one_identity_everywhere(string spelling)
    {
        Assert.Equal(Ravi, SubjectIdentity.Canonical(spelling));
        Assert.Equal(IncidentIds.For(Ravi, 1), IncidentIds.For(spelling, 1));
        Assert.Equal(RiskScorer.AlertId(Ravi, 1, 0), RiskScorer.AlertId(spelling, 1, 0));
        Assert.Equal(Cordon.Approvals.ApproverIdentity.Hash(Ravi), Cordon.Approvals.ApproverIdentity.Hash(spelling));
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData("ravi.k\u200B@vendor.example", "U+200B")] // ZERO WIDTH SPACE: a lookalike no normalization folds away
    [InlineData("ravi.k\u202E@vendor.example", "U+202E")] // RIGHT-TO-LEFT OVERRIDE
    [InlineData("ravi.k@vendor\uFF20example", "user@domain")] // one @ as sent, two once normalized
    [InlineData("r\u0430vi.k@vendor.example", "U+0430")] // CYRILLIC SMALL LETTER A: found by an attack, a second incident
    [InlineData("ravi.k\u0301@vendor.example", "U+1E31")] // k and a COMBINING ACUTE ACCENT, composed by NFKC into ḱ
    [InlineData("ravi.k@vendor.example.", "empty label")] // a trailing dot: no account's domain
    public void A_upn_with_invisible_characters_or_a_hidden_second_at_is_refused_naming_the_field(string upn, string reason)
    {
        string json = File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json")).Replace(Ravi, JsonEncodedText.Encode(upn).ToString(), StringComparison.Ordinal);

        AlertParseResult alert = AlertParser.Parse(Encoding.UTF8.GetBytes(json));
        BatchParseResult telemetry = AccessEventParser.ParseBatch(Encoding.UTF8.GetBytes(File.ReadAllText(Repo.Path("samples/telemetry/harvest.json"))
            .Replace(Ravi, JsonEncodedText.Encode(upn).ToString(), StringComparison.Ordinal)));

        Assert.False(alert.IsValid);
        Assert.Contains(alert.Errors, e => e.StartsWith("subject.userPrincipalName", StringComparison.Ordinal) && e.Contains(reason, StringComparison.Ordinal));
        Assert.Empty(telemetry.Events);
        Assert.All(telemetry.Rejected, r => Assert.Contains(r.Errors, e => e.StartsWith("agent.userPrincipalName", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_lookalike_upn_alert_contains_the_real_account_and_the_genuine_alert_joins_that_incident()
    {
        await using TestHost host = await TestHost.StartAsync();

        var (status, lookalikeIncident, outcome) = await host.SendSampleAsync(edit: a => a.Replace(Ravi, RaviKelvin, StringComparison.Ordinal));
        Assert.Equal((202, IntakeOutcomes.Started), (status, outcome));
        IncidentDetail contained = await host.WaitForAsync(lookalikeIncident, d => d.ContainedAt is not null || d.WaitingForOperator is not null);

        Assert.Null(contained.WaitingForOperator);
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
        Assert.Equal(1, host.Host.Directory.EffectCount($"disable:{Ravi}"));

        var (_, genuineIncident, genuineOutcome) = await host.SendSampleAsync(edit: a => a.Replace("purview-7f3a91", "purview-7f3a92", StringComparison.Ordinal));

        Assert.Equal((lookalikeIncident, IntakeOutcomes.Merged), (genuineIncident, genuineOutcome));
        await host.WaitForAsync(lookalikeIncident, d => d.AlertIds.Count == 2 && d.Timeline.Any(t => t.Step == "evidence preserved" && t.Detail.Contains("purview-7f3a92", StringComparison.Ordinal)));
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
    }

    [Fact]
    public async Task A_telemetry_event_with_a_lookalike_upn_counts_for_the_real_agent_and_contains_that_account()
    {
        await using TestHost host = await TestHost.StartAsync();
        JsonArray events = JsonNode.Parse(File.ReadAllText(Repo.Path("samples/telemetry/harvest.json")))!.AsArray();
        events[0]!["agent"]!["userPrincipalName"] = RaviKelvin; // the first event names the agent state

        using var content = new StringContent(events.ToJsonString(), Encoding.UTF8, "application/json");
        HttpResponseMessage response = await host.Http.PostAsync("/api/telemetry", content);

        Assert.Equal(202, (int)response.StatusCode);
        var rows = (await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents"))!;
        IncidentRow row = Assert.Single(rows);
        Assert.Equal(IncidentIds.For(Ravi, 1), row.IncidentId);
        IncidentDetail detail = await host.WaitForAsync(row.IncidentId, d => d.ContainedAt is not null || d.WaitingForOperator is not null);
        Assert.Null(detail.WaitingForOperator);
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
    }
}
